# cmake -DIN=file -DOUT=file.c -DNAME=symbol -P embed.cmake
# Writes a C file defining `const char NAME[]` (NUL-terminated) and `const size_t NAME_len`
# with the bytes of IN: the scene MJCF, the controller prelude and the experts' sources are
# compiled into the binaries so that nothing depends on the source tree at run time.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" nhex)
math(EXPR nbytes "${nhex} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REGEX REPLACE "((0x[0-9a-f][0-9a-f],){16})" "\\1\n  " body "${body}")
get_filename_component(inname "${IN}" NAME)
file(WRITE "${OUT}"
  "/* Generated from ${inname} by cmake/embed.cmake; do not edit. */\n"
  "#include <stddef.h>\n"
  "extern const char ${NAME}[];\n"
  "extern const size_t ${NAME}_len;\n"
  "const char ${NAME}[] = {\n  ${body}0x00};\n"
  "const size_t ${NAME}_len = ${nbytes};\n")
