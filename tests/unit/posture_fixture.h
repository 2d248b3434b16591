/*
** posture_fixture.h: a small valid posture (relto-posture/1) that the
** posture loader's and the change operations' unit tests both start from:
** a hub and kor, whose operator LG Uplus runs huawei (high risk) and
** nokia (with a removal deadline) in its radio network.
*/
#ifndef RELTO_POSTURE_FIXTURE_H
#define RELTO_POSTURE_FIXTURE_H

static const char base[] =
	"{\n"
	"  \"format\": \"relto-posture/1\",\n"
	"  \"levels\": [\"UNCLASSIFIED\", \"SECRET\"],\n"
	"  \"vendors\": [\n"
	"    {\"id\": \"huawei\", \"name\": \"Huawei\", \"country\": \"CHN\", \"risk\": \"high\",\n"
	"     \"lists\": [\"fcc-covered-list:2021-03-12\", \"eu-2023-higher-risk\"], \"source\": \"FCC\"},\n"
	"    {\"id\": \"nokia\", \"name\": \"Nokia\", \"country\": \"FIN\", \"risk\": \"none\", \"lists\": [],\n"
	"     \"source\": \"none\"}\n"
	"  ],\n"
	"  \"partners\": [\n"
	"    {\"id\": \"usa\", \"name\": \"Hub\", \"country\": \"USA\", \"groups\": [\"fvey\"],\n"
	"     \"agreement_level\": \"SECRET\", \"hub\": true, \"source\": \"demo\", \"operators\": []},\n"
	"    {\"id\": \"kor\", \"name\": \"Korea\", \"country\": \"KOR\", \"groups\": [],\n"
	"     \"agreement_level\": \"UNCLASSIFIED\", \"hub\": false, \"source\": \"demo\", \"operators\": [\n"
	"       {\"name\": \"LG Uplus\", \"segments\": {\n"
	"         \"ran\": [{\"vendor\": \"huawei\", \"source\": \"press\"},\n"
	"                 {\"vendor\": \"nokia\", \"removal_deadline\": \"2028-02-29\", \"source\": \"x\"}],\n"
	"         \"core\": [{\"vendor\": \"nokia\", \"source\": \"y\"}]}}\n"
	"     ]}\n"
	"  ],\n"
	"  \"sources\": \"test\"\n"
	"}\n";

#endif
