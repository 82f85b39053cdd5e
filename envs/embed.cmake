# cmake -DIN=scene.xml -DOUT=scene_xml.c -DNAME=env_sceneXml -P embed.cmake
# Writes a C file defining `const char NAME[]` (NUL-terminated) and `const size_t NAME_len`.
file(READ "${IN}" hex HEX)
string(LENGTH "${hex}" nhex)
math(EXPR nbytes "${nhex} / 2")
string(REGEX REPLACE "([0-9a-f][0-9a-f])" "0x\\1," body "${hex}")
string(REPEAT "0x[0-9a-f][0-9a-f]," 16 row)
string(REGEX REPLACE "(${row})" "\\1\n  " body "${body}")
file(WRITE "${OUT}"
  "/* Generated from ${IN} by envs/embed.cmake; do not edit. */\n"
  "#include <stddef.h>\n"
  "extern const char ${NAME}[];\n"
  "extern const size_t ${NAME}_len;\n"
  "const char ${NAME}[] = {\n  ${body}0x00};\n"
  "const size_t ${NAME}_len = ${nbytes};\n")
