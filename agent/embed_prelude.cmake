# cmake -DIN=file -DOUT=file.c -DNAME=symbol -P embed_prelude.cmake
# Writes a C file defining `const char NAME[]` (NUL-terminated) and
# `const size_t NAME_len` with the bytes of IN. Used for the controller prelude
# (envs/controller.h: the one source of truth for what a compiled controller sees)
# and for the experts' sources that `tracebot bench` runs in the sandbox.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" nhex)
math(EXPR nbytes "${nhex} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n  " body "${body}")
file(WRITE "${OUT}"
  "/* Generated from ${IN} by agent/embed_prelude.cmake; do not edit. */\n"
  "#include <stddef.h>\n"
  "extern const char ${NAME}[];\n"
  "extern const size_t ${NAME}_len;\n"
  "const char ${NAME}[] = {\n  ${body}0x00};\n"
  "const size_t ${NAME}_len = ${nbytes};\n")
