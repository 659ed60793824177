#!/bin/sh
# The redis image's entrypoint (docker-library/redis, 7.2), for the compose suite's
# stand-in image. One difference: it drops to the redis user with setpriv (util-linux)
# where the real one uses gosu.
set -e

# first arg is `-f` or `--some-option`, or `something.conf`
if [ "${1#-}" != "$1" ] || [ "${1%.conf}" != "$1" ]; then
	set -- redis-server "$@"
fi

# allow the container to be started with `--user`
if [ "$1" = 'redis-server' ] && [ "$(id -u)" = '0' ]; then
	find . \! -user redis -exec chown redis '{}' +
	exec setpriv --reuid=redis --regid=redis --init-groups -- "$0" "$@"
fi

# Protected mode off (ports are published explicitly), unless a config file given as the
# first argument sets protected-mode itself: redis-server [config file] --protected-mode no [options]
if [ "$1" = 'redis-server' ]; then
	doProtectedMode=1
	configFile=
	if [ -f "$2" ]; then
		configFile="$2"
		if grep -q '^protected-mode' "$configFile"; then
			doProtectedMode=
		fi
	fi
	if [ -n "$doProtectedMode" ]; then
		shift
		if [ -n "$configFile" ]; then
			shift
		fi
		set -- --protected-mode no "$@"
		if [ -n "$configFile" ]; then
			set -- "$configFile" "$@"
		fi
		set -- redis-server "$@"
	fi
fi

# set an appropriate umask (if one isn't set already)
um="$(umask)"
if [ "$um" = '0022' ]; then
	umask 0077
fi

exec "$@"
