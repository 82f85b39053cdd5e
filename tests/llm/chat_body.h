/* chat_body.h: checks of the JSON chat requests the backends send: the OpenAI-style body the
 * openai: and exec: backends write, and the Anthropic messages body. Each fails the running
 * cmocka test on a mismatch. */
#ifndef TRACEBOT_TESTS_LLM_CHAT_BODY_H
#define TRACEBOT_TESTS_LLM_CHAT_BODY_H

#include <cjson/cJSON.h>

/* Parses a request body, which must be JSON. The caller frees it with cJSON_Delete. */
cJSON *chat_parse(const char *text);

/* obj's member key is the string want. */
void chat_expectString(const cJSON *obj, const char *key, const char *want);

/* The body holds n messages, and messages[i] has role (NULL: not checked) and content. */
void chat_expectMessage(const cJSON *body, int n, int i, const char *role, const char *content);

#endif /* TRACEBOT_TESTS_LLM_CHAT_BODY_H */
