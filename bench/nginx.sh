# bench/nginx.sh: the static ceiling the bench scripts measure relto
# against, sourced by bench/run, bench/audit and bench/page-vs-nginx.
#
#   nginx_ceiling PAGE PORT   serve the bytes of the file PAGE at
#                             http://127.0.0.1:PORT/page.json, or exit
#                             the script with the reason
#   nginx_stop                stop it and remove its files
#
# nginx's workers run as nobody when it is started as root, so the page
# is served from a directory of its own they can read: until 2026-11-29
# the scripts served it from their mode-0700 temporary directory, nginx
# answered 403 (about 300 bytes), and every ratio to nginx was a ratio
# to error pages.  The page is now compared byte for byte with what
# nginx sends before anything is measured.  sendfile and tcp_nopush are
# on, as Debian's packaged nginx.conf sets them: the ceiling is nginx as
# it ships, not a slower one.

nginx_dir=""

nginx_ceiling() {
	local page=$1 port=$2
	nginx_dir=$(mktemp -d)
	chmod 755 "$nginx_dir"
	mkdir -m 755 "$nginx_dir/www"
	install -m 644 "$page" "$nginx_dir/www/page.json"
	cat >"$nginx_dir/nginx.conf" <<NGINX
worker_processes 2;
pid $nginx_dir/nginx.pid;
error_log $nginx_dir/error.log;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	server {
		listen 127.0.0.1:$port;
		root $nginx_dir/www;
		location / { default_type "application/taxii+json;version=2.1"; }
	}
}
NGINX
	nginx -c "$nginx_dir/nginx.conf" -p "$nginx_dir" 2>/dev/null
	local _
	for _ in $(seq 50); do
		curl -fs -o /dev/null "http://127.0.0.1:$port/page.json" && break
		sleep 0.1
	done
	if ! curl -fs "http://127.0.0.1:$port/page.json" | cmp -s - "$page"; then
		echo "$0: nginx does not serve the page's bytes on port $port:" >&2
		cat "$nginx_dir/error.log" >&2
		exit 1
	fi
}

nginx_stop() {
	[ -n "$nginx_dir" ] || return 0
	[ -f "$nginx_dir/nginx.pid" ] && kill "$(cat "$nginx_dir/nginx.pid")" 2>/dev/null
	sleep 0.3
	rm -rf "$nginx_dir"
	nginx_dir=""
}

# wrk's output on stdin (of a run on URL) -> its requests/s, or "error"
# (with the reason on stderr) when any answer was not 2xx: a rate of
# error pages is not a figure.
wrk_rate() { # URL
	local out
	out=$(cat)
	if grep -q "Non-2xx" <<<"$out"; then
		echo "$0: $1: $(grep "Non-2xx" <<<"$out" | tr -s ' ')" >&2
		echo "error"
		return
	fi
	awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out"
}
