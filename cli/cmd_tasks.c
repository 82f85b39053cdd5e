/* tracebot tasks: the task table (name, first sentence of the instruction, expert
 * controller), as text or as one JSON object. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

#include "commands.h"

const char cli_tasksHelp[] =
    "Lists the tasks with their instructions and expert controllers.\n"
    "  --json  {\"tasks\": [{\"name\", \"instruction\", \"expert\", \"plugin\"}, ...]} on\n"
    "          stdout (plugin: the path of the task plug-in, null for a built-in task)\n";

int cli_cmdTasks(cliArgs *a) {
  int json = 0;
  const char *flag;
  const char *value;
  int r;
  while ((r = cli_nextFlag(a, &flag, &value)) != 0) {
    if (r > 0 && strcmp(flag, "--json") == 0 && value == NULL) {
      json = 1;
      continue;
    }
    return cli_usage("tasks: unknown %s '%s'", r > 0 ? "flag" : "argument", flag);
  }
  int n = env_taskCount();
  if (json) {
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "tasks");
    for (int i = 0; i < n; i++) {
      cJSON *t = cJSON_CreateObject();
      cJSON_AddStringToObject(t, "name", env_name((envTaskId)i));
      cJSON_AddStringToObject(t, "instruction", env_instruction((envTaskId)i));
      cJSON_AddStringToObject(t, "expert", env_expertPath((envTaskId)i));
      const char *plugin = env_taskPlugin((envTaskId)i);
      if (plugin != NULL) {
        cJSON_AddStringToObject(t, "plugin", plugin);
      } else {
        cJSON_AddNullToObject(t, "plugin");
      }
      cJSON_AddItemToArray(arr, t);
    }
    return cli_printJson(root);
  }
  for (int i = 0; i < n; i++) {
    /* the instruction's first sentence */
    const char *text = env_instruction((envTaskId)i);
    const char *stop = strstr(text, ". ");
    int len = stop != NULL ? (int)(stop - text) + 1 : (int)strlen(text);
    printf("%-11s %.*s\n            expert controller: %s\n", env_name((envTaskId)i), len, text,
           env_expertPath((envTaskId)i));
  }
  return CLI_OK;
}
