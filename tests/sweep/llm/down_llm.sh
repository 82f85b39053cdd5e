#!/bin/sh
# An LLM that is down while the file $2 exists (the exec: backend; exit 1, a message on
# stderr), else tests/train/llm/scripted_llm.sh with the reply folder $1.
if [ -e "$2" ]; then
  echo "the LLM service is down" >&2
  exit 1
fi
exec sh "$1/scripted_llm.sh" "$1"
