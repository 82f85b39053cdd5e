#!/bin/sh
# exec: LLM that answers with the request it received (so tests can inspect it).
cat
