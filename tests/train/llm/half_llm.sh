#!/bin/sh
# A scripted LLM for the pool tests (exec:): always answers the controller of
# reply_half.txt, which reaches the goal only when goal x > 0, so it succeeds on some
# training starts and fails on others; from the second answer on, the controller stays as
# it is. $1: the folder of the reply files. $2 (optional): seconds to sleep first.
cat >/dev/null
[ -n "$2" ] && sleep "$2"
cat "$1/reply_half.txt"
