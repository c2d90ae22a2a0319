#!/bin/sh
# The web image's entry point: renders the nginx configuration for this container into /tmp (the root
# filesystem is read-only) and runs nginx in the foreground. Settings, from the environment:
#   GATEWAY_URL     where /api goes (default http://gateway:3000); its host is looked up again every
#                   5 s, so that a gateway replaced (a rolling update, a new address) is found
#   NGINX_RESOLVER  the DNS server(s) for that lookup (default: the nameservers of /etc/resolv.conf,
#                   Docker's 127.0.0.11 in compose and Swarm). nginx does not use resolv.conf's search
#                   domains: in Kubernetes give GATEWAY_URL the full name (gateway.<namespace>.svc.cluster.local).
set -eu

fail() {
  echo "web: $*" >&2
  exit 64
}

GATEWAY_URL=${GATEWAY_URL:-http://gateway:3000}
case $GATEWAY_URL in
  http://?* | https://?*) ;;
  *) fail "GATEWAY_URL must be an http:// or https:// URL like http://gateway:3000, not '$GATEWAY_URL'" ;;
esac
case $GATEWAY_URL in
  *[!A-Za-z0-9._:/-]* | */*/*/*) fail "GATEWAY_URL must be a scheme, a host and a port, no path: not '$GATEWAY_URL'" ;;
esac
# IPv6 nameservers go in brackets for nginx.
NGINX_RESOLVER=${NGINX_RESOLVER:-$(awk '$1 == "nameserver" { n = $2; if (n ~ /:/) n = "[" n "]"; printf "%s ", n }' /etc/resolv.conf)}
[ -n "${NGINX_RESOLVER% }" ] || fail "no nameserver in /etc/resolv.conf: set NGINX_RESOLVER"

mkdir -p /tmp/nginx
export GATEWAY_URL NGINX_RESOLVER
envsubst '${GATEWAY_URL} ${NGINX_RESOLVER}' </etc/shipshape/nginx.conf.template >/tmp/nginx/nginx.conf
nginx -t -q -c /tmp/nginx/nginx.conf
echo "web: serving the dashboard on :8080, /api to $GATEWAY_URL (resolver $NGINX_RESOLVER)" >&2
exec nginx -c /tmp/nginx/nginx.conf -g 'daemon off;'
