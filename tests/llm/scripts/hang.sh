#!/bin/sh
# exec: LLM that never answers. $1: file to write the pid of its background child to.
sleep 30 &
echo $! > "$1"
echo "thinking..." >&2
wait
