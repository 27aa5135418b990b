#!/bin/sh
# openvpn-status-web's client-connect / client-disconnect hook in POSIX sh: what the
# installed command runs for "openvpn-status-web hook" (bin/openvpn-status-web), so OpenVPN
# never starts Node for a client event. It takes a few milliseconds and starts no threads;
# the Node implementation (node dist/cli.js hook) takes about 0.1 s on a 2-core machine, and
# Node cannot start at all under Debian's openvpn-server@ unit (LimitNPROC=10) as nobody.
#
# In the OpenVPN server config (script-security 2), with the instance's --status name:
#   client-connect    "/usr/local/bin/openvpn-status-web hook --instance udp --config /etc/openvpn-status-web/config.json"
#   client-disconnect "/usr/local/bin/openvpn-status-web hook --instance udp --config /etc/openvpn-status-web/config.json"
# or, where npm's bin is not on the server, this file itself:
#   client-connect    "/bin/sh /usr/local/lib/node_modules/openvpn-status-web/scripts/openvpn-hook.sh --instance udp --spool /var/spool/openvpn-status-web/spool.jsonl"
#
# The flags are the Node hook's, with the same precedence: --spool FILE; else --config
# FILE's "hookSpool"; else HISTORY.hook-spool.jsonl, HISTORY being --history FILE, else the
# config's "history", else /var/log/openvpn-sessions.csv. Paths are used as written
# (relative ones against the working directory), as every command does. The config file is
# read with sed, not parsed: a "hookSpool" or "history" value with an escape (\" \\ \u...),
# a key written with an escape, or the key twice is refused (give --spool instead).
#
# It appends one line to the spool with one write (printf of the whole line, >> opens it
# O_APPEND; dash and bash write a line under 4 KiB in one write(2)), then `sync FILE`
# (fsync) where sync takes a file. The line (src/core/hook-line.ts reads it):
#   ovsw1<TAB>instance=NAME<TAB>script_type=client-connect<TAB>common_name=...<TAB>...
# one NAME=VALUE per OpenVPN variable that is set; in values "%" is written %25, TAB %09 and
# a line feed %0A, everything else as is. It exits 0 whatever happens (OpenVPN would reject
# the client otherwise); a problem is one line on stderr, which OpenVPN logs.

umask 077 # the spool holds user names and addresses: owner only, like OpenVPN's status file
DEFAULT_HISTORY=/var/log/openvpn-sessions.csv # DEFAULTS.history in src/core/settings.ts
instance=default
spool= spool_set=
config= config_set=
history= history_set=
unknown=
TAB='	'
NL='
'

say() {
	printf 'openvpn-status-web hook (sh): %s%s (exit 0: OpenVPN goes on)\n' "$*" "${unknown:+; unknown flag(s)$unknown ignored}" >&2
	exit 0
}

# Flags as the Node hook takes them (node:util parseArgs, lenient): --NAME VALUE or
# --NAME=VALUE, the last one counts; -q/-v are accepted and do nothing; an unknown flag is
# reported and the event still recorded; anything else (OpenVPN appends client-connect's
# config file) is ignored, and so is everything after "--".
while [ $# -gt 0 ]; do
	case $1 in
	--instance | --spool | --config | --history)
		[ $# -ge 2 ] || say "event not recorded: $1 needs a value"
		case $1 in
		--instance) instance=$2 ;;
		--spool) spool=$2 spool_set=1 ;;
		--config) config=$2 config_set=1 ;;
		--history) history=$2 history_set=1 ;;
		esac
		shift
		;;
	--instance=*) instance=${1#*=} ;;
	--spool=*) spool=${1#*=} spool_set=1 ;;
	--config=*) config=${1#*=} config_set=1 ;;
	--history=*) history=${1#*=} history_set=1 ;;
	--quiet | --verbose | --quiet=* | --verbose=*) ;;
	--) break ;;
	--*) unknown="$unknown ${1%%=*}" ;;
	-?*)
		_s=${1#-}
		while [ -n "$_s" ]; do
			_r=${_s#?}
			case ${_s%"$_r"} in
			q | v) ;;
			*) unknown="$unknown -${_s%"$_r"}" ;;
			esac
			_s=$_r
		done
		;;
	esac
	shift
done

case $instance in
'' | [!A-Za-z0-9]* | *[!A-Za-z0-9_.-]*) say "--instance \"$instance\" must be letters, digits, '.', '_' or '-'; event not recorded" ;;
esac
[ ${#instance} -le 64 ] || say "--instance is longer than 64 characters; event not recorded"

# The string value of the config file's top-level key $1 into REPLY; returns 1 when the file
# does not set it (there, or only inside an object, as JSON.parse sees it). One sed: lines
# joined (a JSON string holds no line feed); every escape pair made "\_", so each remaining
# '"' opens or closes a string and a "\" marks an escape; the key "$1": made "\k:" (no
# other "\" is followed by k); strings and nested objects and arrays taken out to see
# whether the key is at the top level; then the value, if it is a string without escapes.
config_value() {
	_out=$(LC_ALL=C sed -n '
:j
$!{
N
bj
}
s/\n/ /g
s/\\./\\_/g
/"[^"]*\\_[^"]*"[[:space:]]*:/{
s/.*/key-escape/p
q
}
s/"'"$1"'"[[:space:]]*:/\\k:/g
/\\k.*\\k/{
s/.*/twice/p
q
}
/^[[:space:]]*{.*}[[:space:]]*$/!{
s/.*/not-object/p
q
}
/\\k/!{
s/.*/unset/p
q
}
h
s/"[^"]*"/s/g
:d
s/\([[{][^][{}]*\)[[{][^][{}]*[]}]/\1v/
td
/\\k/!{
s/.*/unset/p
q
}
g
s/.*\\k:[[:space:]]*//
/^"[^"]*\\/{
s/.*/escaped/p
q
}
/^"[^"]*"/!{
s/.*/not-string/p
q
}
/^""/{
s/.*/not-string/p
q
}
s/^"\([^"]*\)".*/=\1/p
' "$config" 2>/dev/null) || say "event not recorded: --config $config: cannot read it (missing, or not readable by $(id -un 2>/dev/null || echo this user)?)"
	case $_out in
	=*) REPLY=${_out#=} ;;
	unset) return 1 ;;
	not-string) say "event not recorded: --config $config: key \"$1\" must be a path" ;;
	escaped) say "event not recorded: --config $config: the value of \"$1\" has an escape (\\\" \\\\ \\u...), which this shell hook does not decode; write the path without one, or use --spool" ;;
	twice) say "event not recorded: --config $config: \"$1\" appears more than once, which this shell hook does not read; use --spool" ;;
	key-escape) say "event not recorded: --config $config: a key is written with an escape (\\), which this shell hook does not read; use --spool" ;;
	*) say "event not recorded: --config $config: not a JSON object" ;;
	esac
}

# The spool, as the Node hook finds it (src/cli/hook.ts, hookSpoolPath in src/core/settings.ts).
if [ -z "$spool_set" ]; then
	if [ -n "$config_set" ] && config_value hookSpool; then
		spool=$REPLY
	else
		if [ -n "$history_set" ]; then
			:
		elif [ -n "$config_set" ] && config_value history; then
			history=$REPLY
		else
			history=$DEFAULT_HISTORY
		fi
		spool=$history.hook-spool.jsonl
	fi
fi

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
[ -z "$unknown" ] || printf 'openvpn-status-web hook (sh): unknown flag(s)%s ignored (exit 0: OpenVPN goes on)\n' "$unknown" >&2
exit 0
