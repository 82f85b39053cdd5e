/* chat_body.c: checks of chat request bodies (chat_body.h). */
#include "chat_body.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

cJSON *chat_parse(const char *text) {
  cJSON *body = cJSON_Parse(text);
  if (body == NULL) {
    fail_msg("not a JSON request body: %.200s", text ? text : "(null)");
  }
  return body;
}

void chat_expectString(const cJSON *obj, const char *key, const char *want) {
  const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, key);
  if (!cJSON_IsString(item)) {
    fail_msg("\"%s\" is not a string member", key);
  }
  assert_string_equal(item->valuestring, want);
}

void chat_expectMessage(const cJSON *body, int n, int i, const char *role, const char *content) {
  const cJSON *msgs = cJSON_GetObjectItemCaseSensitive(body, "messages");
  assert_int_equal(cJSON_GetArraySize(msgs), n);
  const cJSON *msg = cJSON_GetArrayItem(msgs, i);
  if (role) {
    chat_expectString(msg, "role", role);
  }
  chat_expectString(msg, "content", content);
}
