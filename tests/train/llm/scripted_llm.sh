#!/bin/sh
# A scripted LLM for the training tests (the exec: backend): reads the request JSON on
# stdin and answers by what the current controller is, so it is stateless and gives the
# same answer to the same request (which the resume test relies on):
#   the initial controller      -> a controller that does not compile   (MARKER_BROKEN)
#   MARKER_BROKEN is current    -> a controller that dereferences NULL   (MARKER_NULL)
#   MARKER_NULL is current      -> a controller that solves reach       (MARKER_SOLVE)
#   MARKER_SOLVE is current     -> TERMINATE
# Newer markers win because memory also holds older controllers.
# $1: the folder of the reply files. $2 (optional): seconds to sleep before answering.
here=$1
req=$(cat)
[ -n "$2" ] && sleep "$2"
case "$req" in
  *MARKER_SOLVE*) echo "The controller already solves the task. TERMINATE" ;;
  *MARKER_NULL*) cat "$here/reply_solve.txt" ;;
  *MARKER_BROKEN*) cat "$here/reply_null.txt" ;;
  *) cat "$here/reply_broken.txt" ;;
esac
