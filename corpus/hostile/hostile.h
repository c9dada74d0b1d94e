/* What the hostile modules share: the test's instructions ("<module's folder>/hostile.cfg",
 * KEY=VALUE lines: paths and pids to aim at) and small helpers. Every attack aims only at
 * what the test names or at the module's own parent processes, so that even where the
 * sandbox is missing nothing but the test's own files and processes can be hit. */
#ifndef SUBCHECK_HOSTILE_H
#define SUBCHECK_HOSTILE_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

/* The value of KEY in the test's instructions, "" when absent. */
static inline void hostile_config(PyObject *module, const char *key, char *out, size_t n) {
    out[0] = '\0';
    PyObject *file = PyModule_GetFilenameObject(module);
    if (!file) {
        PyErr_Clear();
        return;
    }
    const char *path = PyUnicode_AsUTF8(file);
    char cfg[4096];
    const char *slash = path ? strrchr(path, '/') : NULL;
    if (!slash || (size_t)(slash - path) + 20 > sizeof cfg) {
        Py_DECREF(file);
        PyErr_Clear();
        return;
    }
    snprintf(cfg, sizeof cfg, "%.*s/hostile.cfg", (int)(slash - path), path);
    Py_DECREF(file);
    FILE *f = fopen(cfg, "r");
    if (!f) return;
    char line[4096];
    size_t key_length = strlen(key);
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, key, key_length) != 0 || line[key_length] != '=') continue;
        line[strcspn(line, "\n")] = '\0';
        snprintf(out, n, "%s", line + key_length + 1);
        break;
    }
    fclose(f);
}

/* Writes `text` to `path` (created or truncated); 0 or an errno. */
static inline int hostile_write(const char *path, const char *text) {
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return errno;
    ssize_t n = write(fd, text, strlen(text));
    int error = n < 0 ? errno : 0;
    close(fd);
    return error;
}

/* The parent's parent of `pid`, from /proc/<pid>/stat; 0 when unknown. */
static inline pid_t hostile_parent_of(pid_t pid) {
    char path[64], stat_line[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f) return 0;
    size_t n = fread(stat_line, 1, sizeof stat_line - 1, f);
    fclose(f);
    stat_line[n] = '\0';
    const char *close_paren = strrchr(stat_line, ')');
    int parent = 0;
    if (!close_paren || sscanf(close_paren + 1, " %*c %d", &parent) != 1) return 0;
    return (pid_t)parent;
}

/* Calls `each(fd)` for every descriptor of this process at or above `lowest` that is a pipe. */
static inline void hostile_each_own_pipe(int lowest, void (*each)(int fd)) {
    DIR *dir = opendir("/proc/self/fd");
    if (!dir) return;
    struct dirent *entry;
    int fds[256];
    size_t count = 0;
    while ((entry = readdir(dir)) != NULL && count < 256) {
        int fd = atoi(entry->d_name);
        char link[64], target[128];
        snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
        ssize_t n = readlink(link, target, sizeof target - 1);
        if (entry->d_name[0] == '.' || fd < lowest || n <= 0) continue;
        target[n] = '\0';
        if (strncmp(target, "pipe:", 5) == 0) fds[count++] = fd;
    }
    closedir(dir);
    for (size_t i = 0; i < count; i++) each(fds[i]);
}

#endif
