#!/bin/sh
# openvpn-status-web's client-connect / client-disconnect hook in POSIX sh: the same job as
# "openvpn-status-web hook" for servers that would rather not start Node for every client
# event (this takes a few milliseconds; Node about 50 ms, during which OpenVPN waits).
#
# In the OpenVPN server config (script-security 2), with the spool collect reads (config
# key hookSpool, default HISTORY.hook-spool.jsonl) and the instance's --status name:
#   client-connect    "/usr/local/lib/openvpn-status-web/openvpn-hook.sh --instance udp --spool /var/spool/openvpn-status-web/spool.jsonl"
#   client-disconnect "/usr/local/lib/openvpn-status-web/openvpn-hook.sh --instance udp --spool /var/spool/openvpn-status-web/spool.jsonl"
#
# It appends one line to the spool with one write (printf of the whole line, >> opens it
# O_APPEND; dash and bash write a line under 4 KiB in one write(2)), then `sync FILE`
# (fsync) where sync takes a file. The line (src/core/hook-line.ts reads it):
#   ovsw1<TAB>instance=NAME<TAB>script_type=client-connect<TAB>common_name=...<TAB>...
# one NAME=VALUE per OpenVPN variable that is set; in values "%" is written %25, TAB %09 and
# a line feed %0A, everything else as is. It exits 0 whatever happens (OpenVPN would reject
# the client otherwise); a problem is one line on stderr, which OpenVPN logs.

umask 077 # the spool holds user names and addresses: owner only, like OpenVPN's status file
instance=default
spool=/var/log/openvpn-sessions.csv.hook-spool.jsonl
TAB='	'
NL='
'

say() {
	printf 'openvpn-status-web hook (sh): %s (exit 0: OpenVPN goes on)\n' "$*" >&2
	exit 0
}

# Flags; anything else (OpenVPN appends client-connect's config file) is ignored.
while [ $# -gt 0 ]; do
	case $1 in
	--instance | --spool)
		[ $# -ge 2 ] || say "$1 needs a value; event not recorded"
		if [ "$1" = --instance ]; then instance=$2; else spool=$2; fi
		shift
		;;
	--instance=*) instance=${1#*=} ;;
	--spool=*) spool=${1#*=} ;;
	esac
	shift
done

case $instance in
'' | [!A-Za-z0-9]* | *[!A-Za-z0-9_.-]*) say "--instance \"$instance\" must be letters, digits, '.', '_' or '-'; event not recorded" ;;
esac
[ ${#instance} -le 64 ] || say "--instance is longer than 64 characters; event not recorded"
case ${script_type-} in
client-connect | client-disconnect) ;;
*) say "script_type \"${script_type-}\" is not client-connect or client-disconnect; event not recorded" ;;
esac
[ -n "${common_name-}" ] || say "common_name is not set; event not recorded"

# %-escapes $1 into $REPLY without a subshell: one character at a time, only when needed.
esc() {
	REPLY=
	_in=$1
	case $_in in
	*%* | *"$TAB"* | *"$NL"*) ;;
	*)
		REPLY=$_in
		return
		;;
	esac
	while [ -n "$_in" ]; do
		_rest=${_in#?}
		_c=${_in%"$_rest"}
		case $_c in
		%) REPLY="$REPLY%25" ;;
		"$TAB") REPLY="$REPLY%09" ;;
		"$NL") REPLY="$REPLY%0A" ;;
		*) REPLY="$REPLY$_c" ;;
		esac
		_in=$_rest
	done
}

esc "$instance"
line="ovsw1${TAB}instance=$REPLY"
# The variables the Node hook keeps (HOOK_VARS in src/core/hook-line.ts), where set.
for name in script_type time_unix time_duration common_name username trusted_ip trusted_ip6 trusted_port \
	untrusted_ip untrusted_ip6 untrusted_port ifconfig_pool_remote_ip ifconfig_pool_remote_ip6 \
	bytes_received bytes_sent proto_1; do
	eval "set_=\${$name+x} value=\${$name-}"
	[ -n "$set_" ] || continue
	esc "$value"
	line="$line$TAB$name=$REPLY"
done

# One printf of the whole line: one write(2) to a descriptor opened O_APPEND.
if ! { printf '%s\n' "$line" >>"$spool"; } 2>/dev/null; then
	say "$script_type of $common_name not recorded: cannot append to $spool (missing folder, or not writable by $(id -un 2>/dev/null || echo this user)?)"
fi
sync "$spool" 2>/dev/null || :
exit 0
