#!/bin/sh
# exec: LLM that writes far too much on stdout.
cat > /dev/null
i=0
while [ $i -lt 2000 ]; do
  echo "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
  i=$((i + 1))
done
