#!/bin/sh
# exec: LLM that fails: two lines on stderr, exit status 3.
cat > /dev/null
echo "boom: model unavailable" >&2
echo "second line" >&2
exit 3
