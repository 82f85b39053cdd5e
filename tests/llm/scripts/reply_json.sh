#!/bin/sh
# exec: LLM that reads the whole request and answers with a fixed JSON suggestion.
cat > /dev/null
printf '%s\n' '{"reasoning": "ok", "suggestion": {"x": 1}}'
