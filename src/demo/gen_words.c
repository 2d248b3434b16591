/*
** gen_words.c: the const tables of the demo generator (see gen_int.h):
** its vocabulary, and the marking definitions, marking mix and identities
** that docs/demo-data.md documents.
**
** The sentences are built as subject + verb + target + method, then one
** outcome sentence, so a few dozen phrases give thousands of plausible
** descriptions.  The telecom phrases follow what public advisories on
** telecom intrusions describe: 5G core and RAN management planes, SS7 and
** Diameter abuse at roaming interconnects, GTP tunnelling, router
** implants, lawful-intercept systems.  ATT&CK entries are copied from
** ATT&CK (Enterprise, and Mobile for the SS7 and SIM techniques); CVEs are
** real, well-known edge-device flaws.
*/
#include "gen_int.h"

/* ---- markings --------------------------------------------------------- */

#define ACS_DENY "urn:isa:policy:acs:ns:v3.0?privdefault=deny&sharedefault=deny"
#define ACS_PERMIT "urn:isa:policy:acs:ns:v3.0?privdefault=permit&sharedefault=permit"
#define NAT_FVEY "[\"USA\",\"AUS\",\"CAN\",\"GBR\",\"NZL\"]"

const struct gen__mdef gen__marks[M_N] = {
	[M_TLP1_WHITE] = { MK_TLP1, "613f2e26-407d-48c7-9eca-b8e91df99dc9", "TLP:WHITE", 0, 0, 0 },
	[M_TLP1_GREEN] = { MK_TLP1, "34098fce-860f-48ae-8e50-ebd3cc5e41da", "TLP:GREEN", 0, 0, 0 },
	[M_TLP1_AMBER] = { MK_TLP1, "f88d31f6-486f-44da-b317-01333bde0b82", "TLP:AMBER", 0, 0, 0 },
	[M_TLP1_RED] = { MK_TLP1, "5e57c739-391a-4eb3-b6be-7d15ca92d5ed", "TLP:RED", 0, 0, 0 },
	[M_TLP2_CLEAR] = { MK_TLP2, "94868c89-83c2-464b-929b-a1a8aa3c8487", "TLP:CLEAR", "clear", 0, 0 },
	[M_TLP2_GREEN] = { MK_TLP2, "bab4a63c-aed9-4cf5-a766-dfca5abac2bb", "TLP:GREEN", "green", 0, 0 },
	[M_TLP2_AMBER] = { MK_TLP2, "55d920b0-5e8b-4f79-9ee9-91f868d9b421", "TLP:AMBER", "amber", 0, 0 },
	[M_TLP2_AMBER_STRICT] = { MK_TLP2, "939a9414-2ddd-4d32-a0cd-375ea402b003", "TLP:AMBER+STRICT", "amber+strict", 0, 0 },
	[M_TLP2_RED] = { MK_TLP2, "e828b379-4e03-4974-9ac4-e53a884c97c1", "TLP:RED", "red", 0, 0 },
	[M_ST_U] = { MK_STATEMENT, 0, "UNCLASSIFIED", 0, 0, 0 },
	[M_ST_C_JPN_KOR] = { MK_STATEMENT, 0, "CONFIDENTIAL//REL TO USA, JPN, KOR", 0, 0, 0 },
	[M_ST_C_NATO] = { MK_STATEMENT, 0, "CONFIDENTIAL//REL TO USA, NATO", 0, 0, 0 },
	[M_ST_S_FVEY] = { MK_STATEMENT, 0, "SECRET//REL TO USA, FVEY", 0, 0, 0 },
	[M_ST_S_GBR_KOR] = { MK_STATEMENT, 0, "SECRET//REL TO USA, GBR, JPN, KOR", 0, 0, 0 },
	[M_ST_S_NOFORN] = { MK_STATEMENT, 0, "SECRET//NOFORN", 0, 0, 0 },
	[M_ST_TS_FVEY] = { MK_STATEMENT, 0, "TOP SECRET//REL TO USA, FVEY", 0, 0, 0 },
	[M_ACS_U] = { MK_ACS, 0, "ACS 3.0: UNCLASSIFIED, AIS, further sharing with foreign governments permitted",
		"{\"classification\":\"U\",\"formal_determination\":[\"AIS\",\"INFORMATION-DIRECTLY-RELATED-TO-CYBERSECURITY-THREAT\"]}",
		ACS_PERMIT, "[{\"sharing_scope\":[\"FOREIGNGOV\"],\"rule_effect\":\"permit\"}]" },
	[M_ACS_C_JPN_KOR] = { MK_ACS, 0, "ACS 3.0: CONFIDENTIAL, permitted nationalities USA JPN KOR",
		"{\"classification\":\"C\",\"permitted_nationalities\":[\"USA\",\"JPN\",\"KOR\"]}", ACS_DENY, 0 },
	[M_ACS_S_FVEY] = { MK_ACS, 0, "ACS 3.0: SECRET, permitted nationalities USA AUS CAN GBR NZL",
		"{\"classification\":\"S\",\"permitted_nationalities\":" NAT_FVEY "}", ACS_DENY, 0 },
	[M_ACS_S_GBR_KOR] = { MK_ACS, 0, "ACS 3.0: SECRET, permitted nationalities USA GBR JPN KOR",
		"{\"classification\":\"S\",\"permitted_nationalities\":[\"USA\",\"GBR\",\"JPN\",\"KOR\"]}", ACS_DENY, 0 },
	[M_ACS_S_NF] = { MK_ACS, 0, "ACS 3.0: SECRET, NOFORN",
		"{\"classification\":\"S\",\"formal_determination\":[\"NF\"]}", ACS_DENY, 0 },
	[M_ACS_TS_FVEY] = { MK_ACS, 0, "ACS 3.0: TOP SECRET, permitted nationalities USA AUS CAN GBR NZL",
		"{\"classification\":\"TS\",\"permitted_nationalities\":" NAT_FVEY "}", ACS_DENY, 0 },
};

/* The marking mix: which object_marking_refs an object gets, per mille.
** docs/demo-data.md and tests/unit/gen_test.c quote this table. */
const struct gen__profile gen__profiles[] = {
	{ 60, 0, { 0 }, 0 },
	{ 20, 1, { M_TLP1_WHITE }, 0 },
	{ 60, 1, { M_TLP1_GREEN }, 0 },
	{ 40, 1, { M_TLP1_AMBER }, 0 },
	{ 10, 1, { M_TLP1_RED }, 0 },
	{ 60, 1, { M_TLP2_CLEAR }, 0 },
	{ 180, 1, { M_TLP2_GREEN }, 0 },
	{ 120, 1, { M_TLP2_AMBER }, 0 },
	{ 40, 1, { M_TLP2_AMBER_STRICT }, 0 },
	{ 30, 1, { M_TLP2_RED }, 0 },
	{ 60, 2, { M_ST_U, M_TLP2_GREEN }, 0 },
	{ 50, 1, { M_ACS_U }, 0 },
	{ 40, 1, { M_ST_C_JPN_KOR }, 1 },
	{ 30, 1, { M_ACS_C_JPN_KOR }, 1 },
	{ 20, 1, { M_ST_C_NATO }, 1 },
	{ 50, 1, { M_ST_S_FVEY }, 1 },
	{ 30, 1, { M_ACS_S_FVEY }, 1 },
	{ 10, 2, { M_ST_S_FVEY, M_TLP2_AMBER_STRICT }, 1 },
	{ 30, 1, { M_ST_S_GBR_KOR }, 1 },
	{ 20, 1, { M_ACS_S_GBR_KOR }, 1 },
	{ 15, 1, { M_ST_S_NOFORN }, 1 },
	{ 10, 1, { M_ACS_S_NF }, 1 },
	{ 10, 1, { M_ST_TS_FVEY }, 1 },
	{ 5, 1, { M_ACS_TS_FVEY }, 1 },
};
const size_t gen__nprofiles = sizeof(gen__profiles) / sizeof(gen__profiles[0]);

/* ---- identities -------------------------------------------------------- */

/* Identities are TLP:CLEAR (gen_stix.c), so every partner can resolve the
** created_by_ref and where_sighted_refs of what it receives. */
const struct gen__ident gen__idents[NIDENT] = {
	{ "United States hub: joint threat-sharing cell (relto demo)", "organization",
	  "[\"government-national\"]", "Publishes the demo intelligence. Posture partner id usa." },
	{ "United Kingdom national cyber security centre (demo partner)", "organization",
	  "[\"government-national\"]", "Demo partner organisation. Posture partner id gbr." },
	{ "Australia national cyber security centre (demo partner)", "organization",
	  "[\"government-national\"]", "Demo partner organisation. Posture partner id aus." },
	{ "Canada national cyber security centre (demo partner)", "organization",
	  "[\"government-national\"]", "Demo partner organisation. Posture partner id can." },
	{ "New Zealand national cyber security centre (demo partner)", "organization",
	  "[\"government-national\"]", "Demo partner organisation. Posture partner id nzl." },
	{ "Japan national cyber security centre (demo partner)", "organization",
	  "[\"government-national\"]", "Demo partner organisation. Posture partner id jpn." },
	{ "Republic of Korea national cyber security centre (demo partner)", "organization",
	  "[\"government-national\"]", "Demo partner organisation. Posture partner id kor." },
	{ "Germany national cyber security centre (demo partner)", "organization",
	  "[\"government-national\"]", "Demo partner organisation. Posture partner id deu." },
	{ "Mobile network operators", "class", "[\"telecommunications\"]",
	  "Operators of public mobile networks (RAN, packet core, IMS)." },
	{ "Telecommunications equipment vendors", "class",
	  "[\"technology\",\"telecommunications\"]", "Suppliers of RAN, core and transport equipment." },
	{ "National government networks", "class", "[\"government-national\"]",
	  "Networks of ministries and national agencies." },
	{ "Defence industrial base", "class", "[\"defense\"]",
	  "Defence contractors and their suppliers." },
};

/* ---- vocabulary -------------------------------------------------------- */

#define WORDS(a) { a, sizeof(a) / sizeof(a[0]) }

/* ---- telecom theme ---------------------------------------------------- */

static const char *const tel_subjects[] = {
	"A state-sponsored intrusion set",
	"This actor",
	"Operators of the implant",
	"A cluster tracked by several partner CERTs",
	"An espionage group with a long-standing interest in telecommunications",
	"A state-aligned operator team",
};
static const char *const tel_verbs[] = {
	"has compromised", "maintains access to", "was observed probing",
	"targets", "has been exfiltrating data from", "pre-positioned tooling on",
};
static const char *const tel_targets[] = {
	"the management plane of 5G standalone core functions (AMF, SMF, UDM)",
	"gNodeB element management systems at regional radio sites",
	"Diameter edge agents at international roaming interconnects",
	"SS7 signal transfer points reachable through legacy roaming hubs",
	"GTP-C interfaces between serving and packet gateways",
	"lawful-intercept mediation and provisioning servers",
	"provider-edge routers in the IP/MPLS backbone",
	"O-RAN near-real-time RIC test deployments",
	"vendor remote-support VPNs into radio access networks",
	"IMS and VoLTE application servers",
	"home subscriber servers and UDM subscriber databases",
	"SIM over-the-air provisioning platforms",
	"DNS resolvers serving mobile subscribers",
	"network management systems for microwave backhaul",
};
static const char *const tel_methods[] = {
	"using administrator credentials harvested from network management workstations",
	"through a patched router system image that survives reboots",
	"by sending SS7 MAP SendRoutingInfo and ProvideSubscriberInfo queries to locate subscribers",
	"with Diameter Update-Location and Insert-Subscriber-Data messages spoofing a roaming partner",
	"by tunnelling command traffic inside GTP-U packets",
	"over GRE tunnels configured on compromised provider-edge routers",
	"with a passive backdoor that waits for a magic packet matched by a BPF filter",
	"by exploiting unpatched web management interfaces on edge devices",
	"through a managed-service provider with standing access to the network",
	"by abusing vendor maintenance accounts left enabled after deployment",
	"by configuring traffic mirroring sessions on backbone routers",
};
static const char *const tel_outcomes[] = {
	"Call detail records and subscriber location data were staged for exfiltration.",
	"Mirrored signalling traffic was sent to hosts outside the operator network.",
	"The activity is assessed as intelligence collection rather than disruption.",
	"Configuration changes were made outside maintenance windows and local logs were cleared.",
	"The access would allow disruption of mobile services to be pre-positioned for a crisis.",
	"Operators should review ACLs, SNMP communities and unexpected tunnel interfaces.",
	"Lawful-intercept target lists may have been exposed.",
	"The same infrastructure was used against operators in at least two partner countries.",
};
static const char *const tel_short[] = {
	"5G core networks", "roaming interconnects", "provider-edge routers",
	"lawful-intercept systems", "radio access networks", "signalling networks",
	"mobile packet cores", "IMS platforms",
};
static const char *const tel_actor_adj[] = {
	"Jade", "Basalt", "Cobalt", "Silent", "Granite", "Indigo", "Onyx",
	"Saffron", "Obsidian", "Quartz", "Slate", "Umber",
};
static const char *const tel_actor_noun[] = {
	"Antenna", "Relay", "Backhaul", "Spectrum", "Roaming", "Handover",
	"Beacon", "Carrier", "Signal", "Switchboard",
};
static const char *const tel_malware_pre[] = {
	"Gtp", "Cell", "Roam", "Relay", "Spectrum", "Tower", "Backhaul",
	"Signal", "Core", "Sim", "Mast", "Diam",
};
static const char *const tel_platforms[] = {
	"Linux-based router operating systems",
	"carrier-grade Linux hosts running packet-core functions",
	"MIPS-based customer premises equipment",
	"SIGTRAN signalling gateways",
	"network management servers in the operations centre",
	"baseband unit controllers",
};
static const char *const tel_goals[] = {
	"Collect call detail records of government subscribers",
	"Track the location of persons of interest through signalling queries",
	"Obtain lawful-intercept target lists",
	"Maintain long-term access to telecom backbone routers",
	"Pre-position access to disrupt mobile services",
};
static const char *const tel_objectives[] = {
	"Collect call detail records and location data of government subscribers.",
	"Gain persistent access to 5G core management networks.",
	"Intercept SMS one-time passwords of targeted officials.",
	"Map roaming interconnect partners for later signalling abuse.",
};
static const char *const tel_domains[] = {
	"ran-telemetry", "oam-update", "core-sync", "nms-portal", "cdn-ntp",
	"roaming-hub", "ems-support", "sigtran-mon", "backhaul-stats", "ota-provision",
};

static const struct gen__technique tel_techniques[] = {
	{ "T1190", "Exploit Public-Facing Application", "mitre-attack",
	  { "initial-access" }, "https://attack.mitre.org/techniques/T1190" },
	{ "T1133", "External Remote Services", "mitre-attack",
	  { "persistence", "initial-access" }, "https://attack.mitre.org/techniques/T1133" },
	{ "T1199", "Trusted Relationship", "mitre-attack",
	  { "initial-access" }, "https://attack.mitre.org/techniques/T1199" },
	{ "T1542.005", "TFTP Boot", "mitre-attack",
	  { "defense-evasion", "persistence" }, "https://attack.mitre.org/techniques/T1542/005" },
	{ "T1601.001", "Patch System Image", "mitre-attack",
	  { "defense-evasion" }, "https://attack.mitre.org/techniques/T1601/001" },
	{ "T1556.004", "Network Device Authentication", "mitre-attack",
	  { "credential-access", "defense-evasion", "persistence" },
	  "https://attack.mitre.org/techniques/T1556/004" },
	{ "T1040", "Network Sniffing", "mitre-attack",
	  { "credential-access", "discovery" }, "https://attack.mitre.org/techniques/T1040" },
	{ "T1599", "Network Boundary Bridging", "mitre-attack",
	  { "defense-evasion" }, "https://attack.mitre.org/techniques/T1599" },
	{ "T1602.002", "Network Device Configuration Dump", "mitre-attack",
	  { "collection" }, "https://attack.mitre.org/techniques/T1602/002" },
	{ "T1020.001", "Traffic Duplication", "mitre-attack",
	  { "exfiltration" }, "https://attack.mitre.org/techniques/T1020/001" },
	{ "T1059.008", "Network Device CLI", "mitre-attack",
	  { "execution" }, "https://attack.mitre.org/techniques/T1059/008" },
	{ "T1572", "Protocol Tunneling", "mitre-attack",
	  { "command-and-control" }, "https://attack.mitre.org/techniques/T1572" },
	{ "T1430.002", "Impersonate SS7 Nodes", "mitre-mobile-attack",
	  { "collection", "discovery" }, "https://attack.mitre.org/techniques/T1430/002" },
	{ "T1430", "Location Tracking", "mitre-mobile-attack",
	  { "collection", "discovery" }, "https://attack.mitre.org/techniques/T1430" },
	{ "T1451", "SIM Card Swap", "mitre-mobile-attack",
	  { "initial-access" }, "https://attack.mitre.org/techniques/T1451" },
	{ "T1636.004", "SMS Messages", "mitre-mobile-attack",
	  { "collection" }, "https://attack.mitre.org/techniques/T1636/004" },
	{ "T1474.002", "Compromise Hardware Supply Chain", "mitre-mobile-attack",
	  { "initial-access" }, "https://attack.mitre.org/techniques/T1474/002" },
};

static const struct gen__cve tel_cves[] = {
	{ "CVE-2018-0171", "Cisco IOS and IOS XE Smart Install feature: remote code execution through crafted Smart Install messages." },
	{ "CVE-2023-20198", "Cisco IOS XE web UI: an unauthenticated attacker can create an account with privilege level 15." },
	{ "CVE-2023-20273", "Cisco IOS XE web UI: command injection that lets an attacker run commands as root." },
	{ "CVE-2017-6742", "Cisco IOS and IOS XE SNMP subsystem: remote code execution through crafted SNMP packets." },
	{ "CVE-2024-20399", "Cisco NX-OS CLI: command injection by an authenticated administrator, executing as root." },
	{ "CVE-2022-40684", "Fortinet FortiOS, FortiProxy and FortiSwitchManager: authentication bypass on the administrative interface." },
};

/* ---- general theme ---------------------------------------------------- */

static const char *const gen_subjects[] = {
	"A state-sponsored intrusion set",
	"This actor",
	"An espionage group focused on foreign-policy targets",
	"A cluster tracked by several partner CERTs",
	"Operators using this toolset",
};
static const char *const gen_verbs[] = {
	"has compromised", "targets", "was observed scanning",
	"maintains access to", "has been exfiltrating data from",
};
static const char *const gen_targets[] = {
	"internet-facing VPN concentrators at government agencies",
	"the webmail of ministries of foreign affairs",
	"edge firewalls at defence contractors",
	"cloud identity tenants of research institutes",
	"SOHO routers used as operational relay boxes",
	"public-facing web servers of regional governments",
	"software build servers of a managed security provider",
	"remote-access gateways of diplomatic missions",
};
static const char *const gen_methods[] = {
	"by exploiting a pre-authentication flaw within days of its disclosure",
	"with password spraying against legacy authentication endpoints",
	"through spear-phishing attachments themed on regional security conferences",
	"by planting web shells on unpatched application servers",
	"while relaying command-and-control traffic through compromised SOHO routers",
	"using valid accounts bought from initial-access brokers",
};
static const char *const gen_outcomes[] = {
	"Mailbox contents of senior officials were exported.",
	"Persistence was re-established after the first remediation.",
	"The infrastructure overlaps with activity reported earlier by partners.",
	"Defenders should hunt for the listed indicators in proxy and VPN logs.",
	"Stolen session tokens were replayed from residential proxy addresses.",
};
static const char *const gen_short[] = {
	"government VPN gateways", "diplomatic networks", "defence contractors",
	"research institutes", "edge devices",
};
static const char *const gen_actor_adj[] = {
	"Frost", "Copper", "Ashen", "Pale", "Hollow", "Iron", "Velvet", "Cinder",
};
static const char *const gen_actor_noun[] = {
	"Lattice", "Harbor", "Courier", "Veil", "Ledger", "Meridian", "Compass",
	"Lantern",
};
static const char *const gen_malware_pre[] = {
	"Ember", "Quill", "Harbor", "Vault", "Frost", "Lantern", "Copper", "Mirror",
};
static const char *const gen_platforms[] = {
	"Windows servers", "Linux web servers", "VPN appliances", "SOHO routers",
	"Microsoft 365 tenants",
};
static const char *const gen_goals[] = {
	"Collect foreign-policy documents",
	"Obtain credentials for government cloud tenants",
	"Maintain access to defence supply-chain networks",
};
static const char *const gen_objectives[] = {
	"Collect the correspondence of ministries of foreign affairs.",
	"Obtain design documents from defence contractors.",
	"Build a relay network of compromised SOHO routers.",
};
static const char *const gen_domains[] = {
	"mail-sync", "vpn-portal", "login-verify", "docs-share", "update-check",
	"cdn-static", "conference-reg", "secure-files",
};

static const struct gen__technique gen_techniques[] = {
	{ "T1190", "Exploit Public-Facing Application", "mitre-attack",
	  { "initial-access" }, "https://attack.mitre.org/techniques/T1190" },
	{ "T1078", "Valid Accounts", "mitre-attack",
	  { "defense-evasion", "persistence", "privilege-escalation" },
	  "https://attack.mitre.org/techniques/T1078" },
	{ "T1566.001", "Spearphishing Attachment", "mitre-attack",
	  { "initial-access" }, "https://attack.mitre.org/techniques/T1566/001" },
	{ "T1110.003", "Password Spraying", "mitre-attack",
	  { "credential-access" }, "https://attack.mitre.org/techniques/T1110/003" },
	{ "T1505.003", "Web Shell", "mitre-attack",
	  { "persistence" }, "https://attack.mitre.org/techniques/T1505/003" },
	{ "T1090.003", "Multi-hop Proxy", "mitre-attack",
	  { "command-and-control" }, "https://attack.mitre.org/techniques/T1090/003" },
	{ "T1071.001", "Web Protocols", "mitre-attack",
	  { "command-and-control" }, "https://attack.mitre.org/techniques/T1071/001" },
	{ "T1021.004", "SSH", "mitre-attack",
	  { "lateral-movement" }, "https://attack.mitre.org/techniques/T1021/004" },
	{ "T1070.002", "Clear Linux or Mac System Logs", "mitre-attack",
	  { "defense-evasion" }, "https://attack.mitre.org/techniques/T1070/002" },
	{ "T1195.002", "Compromise Software Supply Chain", "mitre-attack",
	  { "initial-access" }, "https://attack.mitre.org/techniques/T1195/002" },
	{ "T1557", "Adversary-in-the-Middle", "mitre-attack",
	  { "credential-access", "collection" }, "https://attack.mitre.org/techniques/T1557" },
	{ "T1027", "Obfuscated Files or Information", "mitre-attack",
	  { "defense-evasion" }, "https://attack.mitre.org/techniques/T1027" },
};

static const struct gen__cve gen_cves[] = {
	{ "CVE-2024-3400", "Palo Alto Networks PAN-OS GlobalProtect: unauthenticated OS command injection." },
	{ "CVE-2023-46805", "Ivanti Connect Secure and Policy Secure: authentication bypass in the web component." },
	{ "CVE-2024-21887", "Ivanti Connect Secure and Policy Secure: command injection in web components." },
	{ "CVE-2018-13379", "Fortinet FortiOS SSL VPN: path traversal that exposes system files." },
	{ "CVE-2024-21762", "Fortinet FortiOS SSL VPN: out-of-bounds write allowing remote code execution." },
	{ "CVE-2023-4966", "Citrix NetScaler ADC and Gateway: disclosure of session tokens (Citrix Bleed)." },
	{ "CVE-2023-3519", "Citrix NetScaler ADC and Gateway: unauthenticated remote code execution." },
	{ "CVE-2019-19781", "Citrix ADC and Gateway: path traversal leading to remote code execution." },
	{ "CVE-2021-22893", "Pulse Connect Secure: authentication bypass allowing remote code execution." },
	{ "CVE-2021-44228", "Apache Log4j 2 JNDI lookups: remote code execution (Log4Shell)." },
};

/* ---- shared ------------------------------------------------------------ */

static const char *const malware_suf[] = {
	"Door", "Tap", "Hook", "Shade", "Lurk", "Root", "Stitch", "Drift",
	"Gate", "Mole", "Pipe", "Latch",
};
const struct gen__kind gen__malware_kinds[] = {
	{ "Passive backdoor", "backdoor" },
	{ "Modular implant", "remote-access-trojan" },
	{ "Kernel-mode rootkit", "rootkit" },
	{ "Web shell", "webshell" },
	{ "Loader", "downloader" },
	{ "Credential harvester", "spyware" },
	{ "Traffic-mirroring implant", "spyware" },
};
const size_t gen__nmalware_kinds = sizeof(gen__malware_kinds) / sizeof(gen__malware_kinds[0]);
static const char *const capabilities[] = {
	"that listens for a magic packet before opening a reverse shell",
	"that hooks the authentication routine to accept a hard-coded password",
	"that captures SCTP and Diameter traffic to local files",
	"that hides its processes and network connections",
	"that proxies command-and-control traffic over HTTPS",
	"that persists by modifying the boot image",
	"that exfiltrates configuration files over DNS",
};
static const char *const campaign_a[] = {
	"Quiet", "Long", "Silent", "Cold", "Night", "Deep", "Open", "Grey",
};
static const char *const campaign_b[] = {
	"Roaming", "Handover", "Backhaul", "Harvest", "Signal", "Relay",
	"Winter", "Lantern", "Mirror",
};
/* RFC 2606 names, so no generated domain or URL can point at a real site. */
static const char *const doc_tlds[] = {
	"example.com", "example.net", "example.org",
};
static const char *const url_paths[] = {
	"/api/v1/status", "/update/firmware.bin", "/oam/login", "/static/js/app.js",
	"/cgi-bin/upgrade.cgi", "/owa/auth/logon.aspx", "/files/report.docx",
};
static const char *const update_notes[] = {
	"Updated after partner feedback.",
	"Confidence revised after corroboration by a second partner.",
	"Additional infrastructure linked to the same operators.",
	"Scope corrected: activity also seen outside the original region.",
	"Detection guidance refined.",
};
static const char *const rel_notes[] = {
	"Assessed with moderate confidence from infrastructure overlap.",
	"Observed in incident response at a partner operator.",
	"Based on code similarity and shared certificates.",
	"Reported by two partners independently.",
};

const struct gen__words gen__malware_suf = WORDS(malware_suf);
const struct gen__words gen__capabilities = WORDS(capabilities);
const struct gen__words gen__campaign_a = WORDS(campaign_a);
const struct gen__words gen__campaign_b = WORDS(campaign_b);
const struct gen__words gen__doc_tlds = WORDS(doc_tlds);
const struct gen__words gen__url_paths = WORDS(url_paths);
const struct gen__words gen__update_notes = WORDS(update_notes);
const struct gen__words gen__rel_notes = WORDS(rel_notes);

const struct gen__theme gen__themes[GEN__NTHEMES] = {
	[GEN__THEME_GENERAL] = {
		WORDS(gen_subjects), WORDS(gen_verbs), WORDS(gen_targets),
		WORDS(gen_methods), WORDS(gen_outcomes), WORDS(gen_short),
		WORDS(gen_actor_adj), WORDS(gen_actor_noun), WORDS(gen_malware_pre),
		WORDS(gen_platforms), WORDS(gen_goals), WORDS(gen_objectives),
		WORDS(gen_domains),
		gen_techniques, sizeof(gen_techniques) / sizeof(gen_techniques[0]),
		gen_cves, sizeof(gen_cves) / sizeof(gen_cves[0]),
	},
	[GEN__THEME_TELECOM] = {
		WORDS(tel_subjects), WORDS(tel_verbs), WORDS(tel_targets),
		WORDS(tel_methods), WORDS(tel_outcomes), WORDS(tel_short),
		WORDS(tel_actor_adj), WORDS(tel_actor_noun), WORDS(tel_malware_pre),
		WORDS(tel_platforms), WORDS(tel_goals), WORDS(tel_objectives),
		WORDS(tel_domains),
		tel_techniques, sizeof(tel_techniques) / sizeof(tel_techniques[0]),
		tel_cves, sizeof(tel_cves) / sizeof(tel_cves[0]),
	},
};
