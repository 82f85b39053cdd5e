#!/bin/sh
# exec: LLM that never reads its stdin and answers at once.
printf 'hi'
