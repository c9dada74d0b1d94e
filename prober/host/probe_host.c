/* The probe host (docs/prober.md): a zygote that embeds one CPython, initialises it once,
 * then forks one child per probe request. Each child imports one extension module in the
 * way the request asks (main interpreter, isolated or legacy subinterpreter, many threads,
 * GIL check) and writes what it learns to a private result pipe as it goes; the zygote
 * supervises the children (time limit, output cap, exit status) and answers every request
 * with exactly one JSON line on its stdout.
 *
 * Built at run time by subcheck for each interpreter the user points at (host_build.cpp),
 * against that interpreter's headers: C11, no dependency beyond libpython and libc.
 *
 *   probe_host --zygote [--jobs N] [--python EXECUTABLE] [--scratch DIR] [--seccomp FILE]
 *              [--sandbox auto|none]
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <marshal.h>

#include <malloc.h>

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROTOCOL_VERSION 1
#define MAX_JOBS 64
#define OUTPUT_TAIL 4096               /* bytes of child output kept (the last ones) */
#define MAX_RESULT_BYTES (1024 * 1024) /* result records kept per child */
#define MAX_REQUEST_LINE (1024 * 1024)
#define ADDRESS_SPACE_LIMIT (4ULL << 30)
#define FILE_SIZE_LIMIT (64ULL << 20)
#define RESULT_FD_MIN 100 /* out of the way of fds a module opens or closes */

/* ------------------------------------------------------------------------------------ */
/* Growable byte buffer and JSON writing                                                */
/* ------------------------------------------------------------------------------------ */

typedef struct {
  char* data;
  size_t len, cap;
} Buf;

static void buf_reserve(Buf* b, size_t extra) {
  if (b->len + extra + 1 <= b->cap) return;
  size_t cap = b->cap ? b->cap : 256;
  while (cap < b->len + extra + 1) cap *= 2;
  char* data = realloc(b->data, cap);
  if (!data) abort();
  b->data = data;
  b->cap = cap;
  b->data[b->len] = '\0'; /* a reserved buffer is always a valid C string */
}

static void buf_add(Buf* b, const char* s, size_t n) {
  buf_reserve(b, n);
  memcpy(b->data + b->len, s, n);
  b->len += n;
  b->data[b->len] = '\0';
}

static void buf_str(Buf* b, const char* s) { buf_add(b, s, strlen(s)); }

static void buf_printf(Buf* b, const char* format, ...) {
  va_list args;
  va_start(args, format);
  va_list copy;
  va_copy(copy, args);
  int n = vsnprintf(NULL, 0, format, copy);
  va_end(copy);
  if (n > 0) {
    buf_reserve(b, (size_t)n);
    vsnprintf(b->data + b->len, (size_t)n + 1, format, args);
    b->len += (size_t)n;
  }
  va_end(args);
}

static void buf_free(Buf* b) {
  free(b->data);
  b->data = NULL;
  b->len = b->cap = 0;
}

/* Length of the valid UTF-8 sequence at s, 0 when it is not one (overlong forms and
 * surrogates included): the runner's JSON parser rejects invalid UTF-8, and a child's
 * output is arbitrary bytes. */
static size_t utf8_sequence(const unsigned char* s, size_t n) {
  unsigned char c = s[0];
  if (c < 0x80) return 1;
  size_t len;
  uint32_t cp;
  if (c >= 0xC2 && c <= 0xDF) {
    len = 2;
    cp = c & 0x1F;
  } else if (c >= 0xE0 && c <= 0xEF) {
    len = 3;
    cp = c & 0x0F;
  } else if (c >= 0xF0 && c <= 0xF4) {
    len = 4;
    cp = c & 0x07;
  } else
    return 0;
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (s[i] & 0x3F);
  }
  if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
    return 0;
  return len;
}

/* A JSON string literal; invalid UTF-8 bytes become U+FFFD. */
static void buf_json_string_n(Buf* b, const char* text, size_t n) {
  const unsigned char* s = (const unsigned char*)text;
  buf_add(b, "\"", 1);
  size_t i = 0;
  while (i < n) {
    unsigned char c = s[i];
    switch (c) {
      case '"':
        buf_add(b, "\\\"", 2);
        i++;
        continue;
      case '\\':
        buf_add(b, "\\\\", 2);
        i++;
        continue;
      case '\n':
        buf_add(b, "\\n", 2);
        i++;
        continue;
      case '\r':
        buf_add(b, "\\r", 2);
        i++;
        continue;
      case '\t':
        buf_add(b, "\\t", 2);
        i++;
        continue;
      default: break;
    }
    if (c < 0x20 || c == 0x7F) {
      buf_printf(b, "\\u%04x", c);
      i++;
      continue;
    }
    size_t len = utf8_sequence(s + i, n - i);
    if (len == 0) {
      buf_str(b, "\\ufffd");
      i++;
      continue;
    }
    buf_add(b, text + i, len);
    i += len;
  }
  buf_add(b, "\"", 1);
}

static void buf_json_string(Buf* b, const char* text) {
  buf_json_string_n(b, text ? text : "", text ? strlen(text) : 0);
}

/* ------------------------------------------------------------------------------------ */
/* A tiny JSON reader: requests are small and flat, fragments from children are checked  */
/* ------------------------------------------------------------------------------------ */

typedef enum { J_NULL, J_BOOL, J_NUMBER, J_STRING, J_ARRAY, J_OBJECT } JType;

typedef struct JValue {
  JType type;
  bool boolean;
  double number;
  char* string; /* J_STRING */
  size_t count; /* J_ARRAY, J_OBJECT */
  struct JValue* items;
  char** keys; /* J_OBJECT */
} JValue;

typedef struct {
  const char *p, *end;
  int depth;
  bool failed;
} JParser;

static void json_free(JValue* v) {
  if (!v) return;
  free(v->string);
  for (size_t i = 0; i < v->count; i++) {
    json_free(&v->items[i]);
    if (v->keys) free(v->keys[i]);
  }
  free(v->items);
  free(v->keys);
  memset(v, 0, sizeof *v);
}

static void json_skip_space(JParser* j) {
  while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r')) j->p++;
}

static bool json_literal(JParser* j, const char* word) {
  size_t n = strlen(word);
  if ((size_t)(j->end - j->p) < n || memcmp(j->p, word, n) != 0) return false;
  j->p += n;
  return true;
}

static void utf8_encode(Buf* b, uint32_t cp) {
  char out[4];
  size_t n;
  if (cp < 0x80) {
    out[0] = (char)cp;
    n = 1;
  } else if (cp < 0x800) {
    out[0] = (char)(0xC0 | (cp >> 6));
    out[1] = (char)(0x80 | (cp & 0x3F));
    n = 2;
  } else if (cp < 0x10000) {
    out[0] = (char)(0xE0 | (cp >> 12));
    out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[2] = (char)(0x80 | (cp & 0x3F));
    n = 3;
  } else {
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    n = 4;
  }
  buf_add(b, out, n);
}

static bool json_hex4(JParser* j, uint32_t* out) {
  if (j->end - j->p < 4) return false;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) {
    char c = j->p[i];
    v <<= 4;
    if (c >= '0' && c <= '9')
      v |= (uint32_t)(c - '0');
    else if (c >= 'a' && c <= 'f')
      v |= (uint32_t)(c - 'a' + 10);
    else if (c >= 'A' && c <= 'F')
      v |= (uint32_t)(c - 'A' + 10);
    else
      return false;
  }
  j->p += 4;
  *out = v;
  return true;
}

/* Parses a string literal (j->p at the opening quote). NUL characters are refused: every
 * string in a request ends up as a C string (a path, a module name). */
static char* json_string(JParser* j) {
  Buf b = {0};
  buf_reserve(&b, 16);
  j->p++;
  while (j->p < j->end && *j->p != '"') {
    unsigned char c = (unsigned char)*j->p;
    if (c < 0x20) goto fail;
    if (c != '\\') {
      buf_add(&b, j->p, 1);
      j->p++;
      continue;
    }
    if (++j->p >= j->end) goto fail;
    char e = *j->p++;
    switch (e) {
      case '"': buf_add(&b, "\"", 1); break;
      case '\\': buf_add(&b, "\\", 1); break;
      case '/': buf_add(&b, "/", 1); break;
      case 'b': buf_add(&b, "\b", 1); break;
      case 'f': buf_add(&b, "\f", 1); break;
      case 'n': buf_add(&b, "\n", 1); break;
      case 'r': buf_add(&b, "\r", 1); break;
      case 't': buf_add(&b, "\t", 1); break;
      case 'u': {
        uint32_t cp;
        if (!json_hex4(j, &cp) || cp == 0) goto fail;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
          uint32_t low;
          if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u') goto fail;
          j->p += 2;
          if (!json_hex4(j, &low) || low < 0xDC00 || low > 0xDFFF) goto fail;
          cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
        } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
          goto fail;
        }
        utf8_encode(&b, cp);
        break;
      }
      default: goto fail;
    }
  }
  if (j->p >= j->end) goto fail;
  j->p++;
  return b.data;
fail:
  buf_free(&b);
  j->failed = true;
  return NULL;
}

static bool json_value(JParser* j, JValue* out);

static bool json_container(JParser* j, JValue* out, bool object) {
  char close = object ? '}' : ']';
  out->type = object ? J_OBJECT : J_ARRAY;
  j->p++;
  json_skip_space(j);
  if (j->p < j->end && *j->p == close) {
    j->p++;
    return true;
  }
  size_t cap = 0;
  for (;;) {
    if (out->count == cap) {
      cap = cap ? cap * 2 : 4;
      out->items = realloc(out->items, cap * sizeof *out->items);
      if (object) out->keys = realloc(out->keys, cap * sizeof *out->keys);
      if (!out->items || (object && !out->keys)) abort();
    }
    JValue* item = &out->items[out->count];
    memset(item, 0, sizeof *item);
    if (object) {
      json_skip_space(j);
      if (j->p >= j->end || *j->p != '"') return false;
      out->keys[out->count] = json_string(j);
      if (!out->keys[out->count]) return false;
      json_skip_space(j);
      if (j->p >= j->end || *j->p != ':') {
        out->count++;
        return false;
      }
      j->p++;
    }
    out->count++;
    if (!json_value(j, item)) return false;
    json_skip_space(j);
    if (j->p < j->end && *j->p == ',') {
      j->p++;
      continue;
    }
    if (j->p < j->end && *j->p == close) {
      j->p++;
      return true;
    }
    return false;
  }
}

static bool json_number(JParser* j, JValue* out) {
  char text[64];
  size_t n = 0;
  while (j->p < j->end && n < sizeof text - 1 && strchr("+-0123456789.eE", *j->p)) text[n++] = *j->p++;
  text[n] = '\0';
  char* end = NULL;
  out->type = J_NUMBER;
  out->number = strtod(text, &end);
  return n > 0 && end == text + n;
}

static bool json_value(JParser* j, JValue* out) {
  if (++j->depth > 16) return false;
  json_skip_space(j);
  bool ok = false;
  if (j->p >= j->end)
    ok = false;
  else if (*j->p == '{')
    ok = json_container(j, out, true);
  else if (*j->p == '[')
    ok = json_container(j, out, false);
  else if (*j->p == '"') {
    out->type = J_STRING;
    out->string = json_string(j);
    ok = out->string != NULL;
  } else if (json_literal(j, "true")) {
    out->type = J_BOOL;
    out->boolean = true;
    ok = true;
  } else if (json_literal(j, "false")) {
    out->type = J_BOOL;
    ok = true;
  } else if (json_literal(j, "null")) {
    out->type = J_NULL;
    ok = true;
  } else if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9'))
    ok = json_number(j, out);
  j->depth--;
  return ok;
}

/* Parses one complete JSON document; false (and *out freed) when it is not one. */
static bool json_parse(const char* text, size_t n, JValue* out) {
  JParser j = {text, text + n, 0, false};
  memset(out, 0, sizeof *out);
  bool ok = json_value(&j, out) && !j.failed;
  json_skip_space(&j);
  if (!ok || j.p != j.end) {
    json_free(out);
    return false;
  }
  return true;
}

static const JValue* json_get(const JValue* object, const char* key) {
  if (!object || object->type != J_OBJECT) return NULL;
  for (size_t i = 0; i < object->count; i++)
    if (strcmp(object->keys[i], key) == 0) return &object->items[i];
  return NULL;
}

/* ------------------------------------------------------------------------------------ */
/* Requests                                                                             */
/* ------------------------------------------------------------------------------------ */

typedef enum {
  PROBE_MAIN,
  PROBE_ISOLATED,
  PROBE_ISOLATED_FRESH,
  PROBE_SHARED,
  PROBE_STRESS,
  PROBE_GIL,
  PROBE_COMBINED,
  PROBE_DECLARED
} ProbeKind;

static const char* const PROBE_NAMES[] = {"main",   "isolated", "isolated-fresh", "shared",
                                          "stress", "gil",      "combined",       "declared"};

typedef struct {
  bool has_id;
  long long id;
  ProbeKind probe;
  char* module;
  char* file; /* "" when absent */
  char** sys_path;
  size_t sys_path_count;
  long timeout_ms;
  int stress_threads, stress_cycles;
} Request;

static void request_free(Request* r) {
  free(r->module);
  free(r->file);
  for (size_t i = 0; i < r->sys_path_count; i++) free(r->sys_path[i]);
  free(r->sys_path);
  memset(r, 0, sizeof *r);
}

static long clamp_long(double v, long low, long high) {
  if (!(v >= (double)low)) return low;
  if (v > (double)high) return high;
  return (long)v;
}

/* Fills *r from one request line; on failure returns a message (and r->id when known). */
static const char* parse_request(const char* line, size_t n, Request* r) {
  memset(r, 0, sizeof *r);
  r->timeout_ms = 20000;
  r->stress_threads = 4;
  r->stress_cycles = 3;
  JValue doc;
  if (!json_parse(line, n, &doc)) return "request is not valid JSON";
  const char* error = NULL;
  if (doc.type != J_OBJECT) {
    error = "request is not a JSON object";
    goto done;
  }
  const JValue* id = json_get(&doc, "id");
  if (id && id->type == J_NUMBER) {
    r->has_id = true;
    r->id = (long long)id->number;
  }
  const JValue* probe = json_get(&doc, "probe");
  bool known = false;
  for (size_t i = 0; probe && probe->type == J_STRING && i < sizeof PROBE_NAMES / sizeof *PROBE_NAMES; i++) {
    if (strcmp(probe->string, PROBE_NAMES[i]) == 0) {
      r->probe = (ProbeKind)i;
      known = true;
    }
  }
  if (!known) {
    error = "unknown or missing \"probe\"";
    goto done;
  }
  const JValue* module = json_get(&doc, "module");
  if (!module || module->type != J_STRING || module->string[0] == '\0') {
    error = "missing \"module\"";
    goto done;
  }
  r->module = strdup(module->string);
  const JValue* file = json_get(&doc, "file");
  r->file = strdup(file && file->type == J_STRING ? file->string : "");
  const JValue* path = json_get(&doc, "sys_path");
  if (path && path->type == J_ARRAY) {
    r->sys_path = calloc(path->count + 1, sizeof *r->sys_path);
    for (size_t i = 0; i < path->count; i++) {
      if (path->items[i].type != J_STRING) {
        error = "\"sys_path\" holds a non-string";
        goto done;
      }
      r->sys_path[r->sys_path_count++] = strdup(path->items[i].string);
    }
  }
  const JValue* timeout = json_get(&doc, "timeout_ms");
  if (timeout && timeout->type == J_NUMBER) r->timeout_ms = clamp_long(timeout->number, 100, 3600 * 1000L);
  const JValue* stress = json_get(&doc, "stress");
  const JValue* threads = json_get(stress, "threads");
  const JValue* cycles = json_get(stress, "cycles");
  if (threads && threads->type == J_NUMBER) r->stress_threads = (int)clamp_long(threads->number, 1, 64);
  if (cycles && cycles->type == J_NUMBER) r->stress_cycles = (int)clamp_long(cycles->number, 1, 100);
done:
  json_free(&doc);
  return error;
}

/* ------------------------------------------------------------------------------------ */
/* Small system helpers                                                                 */
/* ------------------------------------------------------------------------------------ */

static bool write_all(int fd, const char* data, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, data, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    data += w;
    n -= (size_t)w;
  }
  return true;
}

static long long now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_nonblocking(int fd) {
  int flags = fcntl(fd, F_GETFL);
  if (flags >= 0) fcntl(fd, F_SETFL, flags | O_NONBLOCK);
}

static int remove_entry(const char* path, const struct stat* st, int type, struct FTW* ftw) {
  (void)st;
  (void)ftw;
  if (type == FTW_DP || type == FTW_D) chmod(path, 0700);
  remove(path);
  return 0;
}

static void remove_tree(const char* path) {
  if (path && path[0]) nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/* ------------------------------------------------------------------------------------ */
/* The child: run one probe                                                             */
/* ------------------------------------------------------------------------------------ */

/* Python helpers, run in every interpreter the child uses (the main one and each
 * subinterpreter), so that each interpreter imports with its own importlib. */
static const char SUPPORT_SOURCE[] =
    "import sys\n"
    "\n"
    "def prepare(paths, home):\n"
    "    for p in reversed(paths):\n"
    "        if p not in sys.path:\n"
    "            sys.path.insert(0, p)\n"
    "    if home:\n"
    "        import os\n"
    "        os.environ['HOME'] = home\n"
    "        os.environ['TMPDIR'] = home\n"
    "\n"
    "def describe(e):\n"
    "    try:\n"
    "        text = str(e)\n"
    "    except BaseException:\n"
    "        text = '<str() of the exception failed>'\n"
    "    return type(e).__name__, text\n"
    "\n"
    "class Watch:\n"
    "    # Records whether the import system ever looked for the module itself: when it did\n"
    "    # not, the failure happened before (in its package's __init__).\n"
    "    def __init__(self, name):\n"
    "        self.name = name\n"
    "        self.reached = False\n"
    "    def find_spec(self, fullname, path=None, target=None):\n"
    "        if fullname == self.name:\n"
    "            self.reached = True\n"
    "        return None\n"
    "\n"
    "def load_file(name, file):\n"
    "    from importlib.machinery import ExtensionFileLoader\n"
    "    from importlib.util import spec_from_file_location, module_from_spec\n"
    "    loader = ExtensionFileLoader(name, file)\n"
    "    spec = spec_from_file_location(name, file, loader=loader)\n"
    "    module = module_from_spec(spec)\n"
    "    sys.modules[name] = module\n"
    "    try:\n"
    "        loader.exec_module(module)\n"
    "    except BaseException:\n"
    "        sys.modules.pop(name, None)\n"
    "        raise\n"
    "\n"
    "def load(name, file):\n"
    "    # -> (ok, error_type, message, via, package_error, fallback, package_imports_it)\n"
    "    watch = Watch(name)\n"
    "    sys.meta_path.insert(0, watch)\n"
    "    top = name.partition('.')[0]\n"
    "    imports_it = False\n"
    "    try:\n"
    "        # The top-level package first, as __import__(name) would: does its own import\n"
    "        # load the module (an accelerator it imports at import time)?\n"
    "        if top != name:\n"
    "            __import__(top)\n"
    "            imports_it = name in sys.modules\n"
    "        __import__(name)  # importlib.import_module without importing importlib\n"
    "        return (True, '', '', '', '', '', imports_it)\n"
    "    except BaseException as e:\n"
    "        error = describe(e)\n"
    "        not_found = isinstance(e, ModuleNotFoundError) and e.name == name\n"
    "    finally:\n"
    "        if watch in sys.meta_path:\n"
    "            sys.meta_path.remove(watch)\n"
    "    # The package imported although the module failed: where the package's import loads\n"
    "    # the module in the main interpreter, it fell back here (PyYAML without yaml._yaml,\n"
    "    # docs/cpython-behaviour.md #24; the runner compares the two steps).\n"
    "    fallback = top if top != name and top in sys.modules else ''\n"
    "    # The module's own code never ran: its package failed first (docs/cpython-behaviour.md #14), or\n"
    "    # the finder does not know its file name (Debian's X.abi3-<triplet>.so, #16).\n"
    "    if not file or (watch.reached and not not_found):\n"
    "        return (False,) + error + ('', '', fallback, False)\n"
    "    package_error = '%s: %s' % error\n"
    "    try:\n"
    "        load_file(name, file)\n"
    "        return (True, '', '', 'file', package_error, '', False)\n"
    "    except BaseException as e:\n"
    "        return (False,) + describe(e) + ('file', package_error, '', False)\n"
    "\n"
    "def gil_enabled():\n"
    "    probe = getattr(sys, '_is_gil_enabled', None)\n"
    "    return None if probe is None else bool(probe())\n"
    "\n"
    "def existing_types():\n"
    "    seen, stack = set(), [object]\n"
    "    while stack:\n"
    "        t = stack.pop()\n"
    "        if id(t) in seen:\n"
    "            continue\n"
    "        seen.add(id(t))\n"
    "        try:\n"
    "            stack.extend(type.__subclasses__(t))\n"
    "        except BaseException:\n"
    "            pass\n"
    "    return seen\n"
    "\n"
    "def object_ids(name, before):\n"
    "    # 'attr id' lines for the module's attributes worth comparing across interpreters:\n"
    "    # types and other objects, not scalars, not process-wide immortal singletons, not\n"
    "    # builtins, not types that existed before the import (core static types).\n"
    "    import builtins\n"
    "    module = sys.modules.get(name)\n"
    "    if module is None:\n"
    "        return ''\n"
    "    skip = set(before or ()) | {id(v) for v in vars(builtins).values()}\n"
    "    scalars = (bool, int, float, complex, str, bytes, type(sys), type(None))\n"
    "    lines = []\n"
    "    for key, value in list(vars(module).items()):\n"
    "        if key.startswith('__') and key.endswith('__'):\n"
    "            continue\n"
    "        if isinstance(value, scalars) or id(value) in skip:\n"
    "            continue\n"
    "        if not isinstance(value, type) and sys.getrefcount(value) > (1 << 30):\n"
    "            continue\n"
    "        lines.append('%s %d' % (key, id(value)))\n"
    "    return '\\n'.join(lines)\n";

static int result_fd = -1;     /* the child's end of its result pipe */
static PyObject* main_support; /* SUPPORT_SOURCE's namespace in the main interpreter */
static PyObject* zygote_types; /* ids of every type the zygote has: none is the module's */

typedef struct {
  bool ok;
  char *error_type, *message, *via, *package_error;
  char* fallback;          /* the top-level package, imported although the module failed, or "" */
  bool package_imports_it; /* importing the top-level package loaded the module */
} StepResult;

static void step_clear(StepResult* s) {
  free(s->error_type);
  free(s->message);
  free(s->via);
  free(s->package_error);
  free(s->fallback);
  memset(s, 0, sizeof *s);
}

static void step_fail(StepResult* s, const char* type, const char* message) {
  step_clear(s);
  s->error_type = strdup(type);
  s->message = strdup(message ? message : "");
}

/* Result records, one line each: "P <phase>", "S <step json>", "O <json array>",
 * "G <before> <after>", "R <rss kb>", "M <malloc kb>", "C <declared json object>", "D"
 * (all results written: what follows is teardown). */
static void emit(const char* tag, const char* payload) {
  Buf b = {0};
  buf_str(&b, tag);
  if (payload) {
    buf_add(&b, " ", 1);
    buf_str(&b, payload);
  }
  buf_add(&b, "\n", 1);
  write_all(result_fd, b.data, b.len);
  buf_free(&b);
}

static void emit_phase(const char* phase) { emit("P", phase); }
static void emit_done(void) { emit("D", NULL); }

static void emit_step(const char* where, const StepResult* s) {
  Buf b = {0};
  buf_str(&b, "{\"where\":");
  buf_json_string(&b, where);
  buf_str(&b, s->ok ? ",\"ok\":true" : ",\"ok\":false");
  if (!s->ok) {
    buf_str(&b, ",\"error_type\":");
    buf_json_string(&b, s->error_type);
    buf_str(&b, ",\"message\":");
    buf_json_string(&b, s->message);
  }
  if (s->via && s->via[0]) {
    buf_str(&b, ",\"via\":");
    buf_json_string(&b, s->via);
    buf_str(&b, ",\"package_error\":");
    buf_json_string(&b, s->package_error);
  }
  if (s->fallback && s->fallback[0]) {
    buf_str(&b, ",\"fallback\":");
    buf_json_string(&b, s->fallback);
  }
  if (s->package_imports_it) buf_str(&b, ",\"package_imports_it\":true");
  buf_str(&b, "}");
  emit("S", b.data);
  buf_free(&b);
}

/* A C copy of str(o) in UTF-8 (lone surrogates escaped); "" for NULL or None. */
static char* py_text(PyObject* o) {
  if (!o || o == Py_None) return strdup("");
  PyObject* str = PyUnicode_Check(o) ? Py_NewRef(o) : PyObject_Str(o);
  if (!str) {
    PyErr_Clear();
    return strdup("<str() failed>");
  }
  PyObject* bytes = PyUnicode_AsEncodedString(str, "utf-8", "backslashreplace");
  Py_DECREF(str);
  if (!bytes) {
    PyErr_Clear();
    return strdup("<not encodable>");
  }
  char* copy = strdup(PyBytes_AS_STRING(bytes));
  Py_DECREF(bytes);
  return copy;
}

/* The pending exception as a failed step (the host's own Python calls failing). */
static void step_from_exception(StepResult* s) {
  PyObject* exc = PyErr_GetRaisedException();
  step_clear(s);
  if (!exc) {
    step_fail(s, "SystemError", "error without an exception");
    return;
  }
  PyObject* name = PyType_GetName(Py_TYPE(exc));
  s->error_type = py_text(name);
  Py_XDECREF(name);
  PyErr_Clear();
  s->message = py_text(exc);
  Py_DECREF(exc);
}

/* SUPPORT_SOURCE compiled once in the zygote and marshalled: each subinterpreter loads
 * the bytes instead of compiling the source again (it is on every probe's path). */
static char* support_code;
static Py_ssize_t support_code_size;

static bool compile_support(void) {
  PyObject* code = Py_CompileString(SUPPORT_SOURCE, "<subcheck probe support>", Py_file_input);
  PyObject* bytes = code ? PyMarshal_WriteObjectToString(code, Py_MARSHAL_VERSION) : NULL;
  Py_XDECREF(code);
  if (!bytes) return false;
  support_code_size = PyBytes_GET_SIZE(bytes);
  support_code = malloc((size_t)support_code_size);
  if (support_code) memcpy(support_code, PyBytes_AS_STRING(bytes), (size_t)support_code_size);
  Py_DECREF(bytes);
  return support_code != NULL;
}

/* Runs the support code in the current interpreter; a new reference to its namespace. */
static PyObject* load_support(void) {
  PyObject* globals = PyDict_New();
  if (!globals) return NULL;
  PyObject* builtins = PyImport_ImportModule("builtins");
  if (!builtins || PyDict_SetItemString(globals, "__builtins__", builtins) < 0) {
    Py_XDECREF(builtins);
    Py_DECREF(globals);
    return NULL;
  }
  Py_DECREF(builtins);
  PyObject* code = PyMarshal_ReadObjectFromString(support_code, support_code_size);
  PyObject* result = code ? PyEval_EvalCode(code, globals, globals) : NULL;
  Py_XDECREF(code);
  if (!result) {
    Py_DECREF(globals);
    return NULL;
  }
  Py_DECREF(result);
  return globals;
}

/* support[function](*args): a new reference, NULL with an exception set. Steals args. */
static PyObject* support_call(PyObject* support, const char* function, PyObject* args) {
  if (!args) return NULL;
  PyObject* callable = PyDict_GetItemString(support, function); /* borrowed */
  PyObject* result = callable ? PyObject_CallObject(callable, args) : NULL;
  if (!callable) PyErr_Format(PyExc_SystemError, "probe support has no %s", function);
  Py_DECREF(args);
  return result;
}

/* Puts the request's sys.path entries first and sets HOME (home may be NULL). */
static bool prepare_interpreter(PyObject* support, const Request* r, const char* home) {
  PyObject* paths = PyList_New(0);
  if (!paths) return false;
  for (size_t i = 0; i < r->sys_path_count; i++) {
    PyObject* p = PyUnicode_DecodeFSDefault(r->sys_path[i]);
    if (!p || PyList_Append(paths, p) < 0) {
      Py_XDECREF(p);
      Py_DECREF(paths);
      return false;
    }
    Py_DECREF(p);
  }
  PyObject* home_object = home ? PyUnicode_DecodeFSDefault(home) : Py_NewRef(Py_None);
  PyObject* args = home_object ? Py_BuildValue("(NN)", paths, home_object) : NULL;
  if (!home_object) Py_DECREF(paths);
  PyObject* result = support_call(support, "prepare", args);
  Py_XDECREF(result);
  return result != NULL;
}

/* Imports the requested module in the current interpreter. */
static void import_module_here(PyObject* support, const Request* r, StepResult* s) {
  step_clear(s);
  PyObject* result = support_call(support, "load", Py_BuildValue("(ss)", r->module, r->file));
  if (!result || !PyTuple_Check(result) || PyTuple_GET_SIZE(result) != 7) {
    if (result) PyErr_SetString(PyExc_SystemError, "probe support returned a malformed result");
    Py_XDECREF(result);
    step_from_exception(s);
    return;
  }
  s->ok = PyObject_IsTrue(PyTuple_GET_ITEM(result, 0)) == 1;
  s->error_type = py_text(PyTuple_GET_ITEM(result, 1));
  s->message = py_text(PyTuple_GET_ITEM(result, 2));
  s->via = py_text(PyTuple_GET_ITEM(result, 3));
  s->package_error = py_text(PyTuple_GET_ITEM(result, 4));
  s->fallback = py_text(PyTuple_GET_ITEM(result, 5));
  s->package_imports_it = PyObject_IsTrue(PyTuple_GET_ITEM(result, 6)) == 1;
  Py_DECREF(result);
}

/* sys._is_gil_enabled() on free-threaded builds (0/1); -1 elsewhere or when unknown. */
static int gil_enabled_here(PyObject* support) {
#ifndef Py_GIL_DISABLED
  (void)support;
  return -1; /* GIL builds: the GIL is always on, the question does not arise */
#else
  PyObject* result = support_call(support, "gil_enabled", PyTuple_New(0));
  int value = (!result || result == Py_None) ? -1 : PyObject_IsTrue(result) == 1;
  if (!result) PyErr_Clear();
  Py_XDECREF(result);
  return value;
#endif
}

/* "attr id" lines (a C string) for the module's objects in the current interpreter. */
static char* object_ids_here(PyObject* support, const char* module, PyObject* before) {
  PyObject* result = support_call(support, "object_ids", Py_BuildValue("(sO)", module, before ? before : Py_None));
  if (!result) PyErr_Clear();
  char* text = py_text(result);
  Py_XDECREF(result);
  return text;
}

/* Names whose "attr id" line appears in both lists: the same object in two interpreters. */
static void emit_shared_objects(const char* main_ids, const char* sub_ids) {
  Buf b = {0};
  buf_str(&b, "[");
  bool first = true;
  const char* line = sub_ids;
  while (line && *line) {
    const char* end = strchr(line, '\n');
    size_t n = end ? (size_t)(end - line) : strlen(line);
    for (const char* m = main_ids; m && *m;) {
      const char* m_end = strchr(m, '\n');
      size_t m_n = m_end ? (size_t)(m_end - m) : strlen(m);
      if (m_n == n && memcmp(m, line, n) == 0) {
        const char* space = memchr(line, ' ', n);
        if (!first) buf_str(&b, ",");
        buf_json_string_n(&b, line, space ? (size_t)(space - line) : n);
        first = false;
        break;
      }
      m = m_end ? m_end + 1 : NULL;
    }
    line = end ? end + 1 : NULL;
  }
  buf_str(&b, "]");
  emit("O", b.data);
  buf_free(&b);
}

static PyInterpreterConfig subinterpreter_config(bool isolated) {
  if (isolated) {
    /* What concurrent.interpreters / InterpreterPoolExecutor create (PEP 684/734). */
    PyInterpreterConfig config = {
        .use_main_obmalloc = 0,
        .allow_fork = 0,
        .allow_exec = 0,
        .allow_threads = 1,
        .allow_daemon_threads = 0,
        .check_multi_interp_extensions = 1,
        .gil = PyInterpreterConfig_OWN_GIL,
    };
    return config;
  }
  /* Py_NewInterpreter()'s values (shared GIL and obmalloc, fork, exec, daemon threads)
   * with the extension check on, as docs/prober.md says: with it off (the GIL build's
   * legacy default) CPython lets every module in, single-phase and
   * Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED included, so shared-GIL-only modules could
   * not be told from unsupported ones. Free-threaded builds always check (#4). */
  PyInterpreterConfig shared = {
      .use_main_obmalloc = 1,
      .allow_fork = 1,
      .allow_exec = 1,
      .allow_threads = 1,
      .allow_daemon_threads = 1,
      .check_multi_interp_extensions = 1,
      .gil = PyInterpreterConfig_SHARED_GIL,
  };
  return shared;
}

/* A new subinterpreter, current on this thread; NULL with *error set when refused. */
static PyThreadState* new_subinterpreter(bool isolated, char** error) {
  PyInterpreterConfig config = subinterpreter_config(isolated);
  PyThreadState* tstate = NULL;
  PyStatus status = Py_NewInterpreterFromConfig(&tstate, &config);
  if (PyStatus_Exception(status) || !tstate) {
    *error = strdup(status.err_msg ? status.err_msg : "Py_NewInterpreterFromConfig failed");
    return NULL;
  }
  return tstate;
}

/* Sets up the current (sub)interpreter and imports the module there. With ids != NULL,
 * also returns the attribute ids after a successful import. */
static void import_in_current_subinterpreter(const Request* r, StepResult* s, char** ids) {
  PyObject* support = load_support();
  if (!support || !prepare_interpreter(support, r, NULL)) {
    step_from_exception(s);
    free(s->error_type);
    s->error_type = strdup("ProbeSetupError");
    Py_XDECREF(support);
    return;
  }
  import_module_here(support, r, s);
  if (ids && s->ok) *ids = object_ids_here(support, r->module, NULL);
  Py_DECREF(support);
}

static void probe_main(const Request* r) {
  StepResult s = {0};
  emit_phase("main");
  import_module_here(main_support, r, &s);
  emit_step("main", &s);
  step_clear(&s);
  emit_done();
}

/* The main-interpreter import with sys._is_gil_enabled() before and after it (a "G"
 * record, null null on GIL builds), as `gil`, `isolated` and `combined` do it. */
static void import_main_with_gil(const Request* r, StepResult* s) {
  int before = gil_enabled_here(main_support);
  import_module_here(main_support, r, s);
  int after = gil_enabled_here(main_support);
  static const char* const names[] = {"null", "false", "true"};
  char payload[32];
  snprintf(payload, sizeof payload, "%s %s", names[before + 1], names[after + 1]);
  emit("G", payload);
}

static void probe_gil(const Request* r) {
  StepResult s = {0};
  emit_phase("main");
  import_main_with_gil(r, &s);
  emit_step("main", &s);
  step_clear(&s);
  emit_done();
}

/* isolated, isolated-fresh, shared: optionally import in the main interpreter, then in a
 * subinterpreter; in `isolated`, compare the module's objects across the two. */
static void probe_subinterpreter(const Request* r, bool isolated, bool main_first) {
  StepResult s = {0};
  char *main_ids = NULL, *sub_ids = NULL;
  bool compare = isolated && main_first;
  if (main_first) {
    emit_phase("main");
    if (compare)
      import_main_with_gil(r, &s); /* `isolated` carries the GIL measurement */
    else
      import_module_here(main_support, r, &s);
    emit_step("main", &s);
    if (s.ok && compare) main_ids = object_ids_here(main_support, r->module, zygote_types);
    if (!s.ok) {
      step_clear(&s);
      emit_done();
      return;
    }
  }
  const char* where = isolated ? "isolated" : "shared";
  emit_phase(where);
  char* error = NULL;
  PyThreadState* main_tstate = PyThreadState_Get();
  PyThreadState* sub = new_subinterpreter(isolated, &error);
  if (!sub) {
    step_fail(&s, "SubinterpreterError", error);
    emit_step(where, &s);
    emit_done();
    free(error);
    step_clear(&s);
    free(main_ids);
    return;
  }
  import_in_current_subinterpreter(r, &s, compare ? &sub_ids : NULL);
  emit_step(where, &s);
  if (compare && s.ok) emit_shared_objects(main_ids, sub_ids);
  emit_done();
  step_clear(&s);
  free(main_ids);
  free(sub_ids);
  /* Teardown, as a user's process would do it: a crash here is reported as during
   * "teardown" (some failing-init modules abort while the subinterpreter is destroyed,
   * docs/cpython-behaviour.md #7). When a subinterpreter was the first to load the module, the main
   * interpreter is finalised too: that is where a module whose static state came from
   * the subinterpreter corrupts the process at exit (3.12's _asyncio, #7). After a
   * main-interpreter import that cannot happen, and finalising costs a fifth of a probe. */
  Py_EndInterpreter(sub);
  if (!main_first) {
    PyEval_RestoreThread(main_tstate);
    Py_FinalizeEx();
  }
}

static bool step_clean(const StepResult* s) { return s->ok && !(s->via && s->via[0]); }

/* The common case of `isolated-fresh` and `isolated` (and `gil`) in one child, in an order
 * where each step sees what its own probe would: an isolated subinterpreter imports the
 * module first (step "isolated-fresh") and is ended; then the main interpreter imports it
 * ("main", with the GIL measurement); then a second isolated subinterpreter ("isolated",
 * with the shared-object comparison), ended; then Py_FinalizeEx. It stops at the first
 * step that does not succeed cleanly: the runner then falls back to the separate probes
 * (an earlier step may have changed what a later one sees: Cython's "Interpreter change
 * detected", a refused single-phase module whose PyInit ran in the main interpreter). When
 * that is the first step, the child ends as `isolated-fresh` would (its result written, the
 * subinterpreter ended, Py_FinalizeEx) and the runner takes it for that probe. */
static void probe_combined(const Request* r) {
  StepResult s = {0};
  char *main_ids = NULL, *sub_ids = NULL, *error = NULL;
  PyThreadState* main_tstate = PyThreadState_Get();

  emit_phase("isolated-fresh");
  PyThreadState* fresh = new_subinterpreter(true, &error);
  if (!fresh) {
    step_fail(&s, "SubinterpreterError", error);
    emit_step("isolated-fresh", &s);
    goto done;
  }
  import_in_current_subinterpreter(r, &s, NULL);
  emit_step("isolated-fresh", &s);
  if (!step_clean(&s)) {
    /* Then the child ends exactly as `isolated-fresh` does, and stands for it. */
    emit_done();
    step_clear(&s);
    Py_EndInterpreter(fresh);
    PyEval_RestoreThread(main_tstate);
    Py_FinalizeEx();
    return;
  }
  emit_phase("isolated-fresh teardown");
  Py_EndInterpreter(fresh);
  PyEval_RestoreThread(main_tstate);

  emit_phase("main");
  import_main_with_gil(r, &s);
  emit_step("main", &s);
  if (!step_clean(&s)) goto done;
  main_ids = object_ids_here(main_support, r->module, zygote_types);

  emit_phase("isolated");
  PyThreadState* sub = new_subinterpreter(true, &error);
  if (!sub) {
    step_fail(&s, "SubinterpreterError", error);
    emit_step("isolated", &s);
    goto done;
  }
  import_in_current_subinterpreter(r, &s, &sub_ids);
  emit_step("isolated", &s);
  if (s.ok) emit_shared_objects(main_ids, sub_ids);
  emit_done();
  step_clear(&s);
  free(main_ids);
  free(sub_ids);
  /* Teardown as in `isolated-fresh`: the module was first loaded by a subinterpreter. */
  Py_EndInterpreter(sub);
  PyEval_RestoreThread(main_tstate);
  Py_FinalizeEx();
  return;
done:
  emit_done();
  step_clear(&s);
  free(error);
  free(main_ids);
}

/* The spellings of core/vocabulary.h for a Py_mod_multiple_interpreters / Py_mod_gil value. */
static const char* multiple_interpreters_name(void* value) {
  switch ((intptr_t)value) {
    case 0: return "Py_MOD_MULTIPLE_INTERPRETERS_NOT_SUPPORTED";
    case 1: return "Py_MOD_MULTIPLE_INTERPRETERS_SUPPORTED";
    case 2: return "Py_MOD_PER_INTERPRETER_GIL_SUPPORTED";
    default: return "other";
  }
}

static const char* gil_name(void* value) {
  switch ((intptr_t)value) {
    case 0: return "Py_MOD_GIL_USED";
    case 1: return "Py_MOD_GIL_NOT_USED";
    default: return "other";
  }
}

/* The slots of a multi-phase module's PyModuleDef, as `declared` reports them. The slot
 * numbers are CPython's (Py_mod_multiple_interpreters 3 since 3.12, Py_mod_gil 4 since
 * 3.13): a def read on 3.12 may still carry a 3.13 slot. A module built with 3.15's
 * headers numbers them 86 and 87 (the common slot numbering of PEP 793,
 * docs/cpython-behaviour.md #22), and 3.15 reads both. */
static void describe_module_def(const PyModuleDef* def, Buf* b) {
  const char *multiple = "absent", *gil = "absent";
  int slots = 0;
  for (const PyModuleDef_Slot* slot = def->m_slots; slot && slot->slot != 0; slot++, slots++) {
    if (slot->slot == 3 || slot->slot == 86) multiple = multiple_interpreters_name(slot->value);
    if (slot->slot == 4 || slot->slot == 87) gil = gil_name(slot->value);
  }
  buf_printf(b,
             "{\"init\":\"multi-phase\",\"m_size\":%lld,\"slots\":%d,\"multiple_interpreters\":\"%s\",\"gil\":\"%s\"}",
             (long long)def->m_size, slots, multiple, gil);
}

static void describe_declared_failure(const char* why, Buf* b) {
  buf_str(b, "{\"init\":\"unknown\",\"error\":");
  buf_json_string(b, why);
  buf_str(b, "}");
}

/* Calls the module's PyInit_<name> in the main interpreter, as the import would, and says
 * what it returned: a multi-phase module's PyModuleDef (no Py_mod_exec has run: reading it
 * executes none of the module's code beyond PyInit), or a single-phase module's module
 * object (its whole init has run). Only ever in a probe child. */
static void describe_declared(const Request* r, Buf* b) {
  const char* dot = strrchr(r->module, '.');
  const char* name = dot ? dot + 1 : r->module;
  for (const char* c = name; *c; c++) {
    if ((unsigned char)*c >= 0x80) {
      describe_declared_failure("a non-ASCII module name (PyInitU_ is not read)", b);
      return;
    }
  }
  if (!r->file[0]) {
    describe_declared_failure("no file to load", b);
    return;
  }
  void* handle = dlopen(r->file, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = dlerror();
    describe_declared_failure(why ? why : "dlopen failed", b);
    return;
  }
  Buf symbol = {0};
  buf_printf(&symbol, "PyInit_%s", name);
  PyObject* (*init)(void) = (PyObject * (*)(void)) dlsym(handle, symbol.data);
  if (!init) {
    Buf why = {0};
    buf_printf(&why, "the file exports no %s", symbol.data);
    describe_declared_failure(why.data, b);
    buf_free(&why);
    buf_free(&symbol);
    return;
  }
  buf_free(&symbol);
  PyObject* result = init();
  if (!result) {
    StepResult s = {0};
    step_from_exception(&s);
    Buf why = {0};
    buf_printf(&why, "PyInit raised %s: %s", s.error_type, s.message);
    describe_declared_failure(why.data, b);
    buf_free(&why);
    step_clear(&s);
  } else if (PyObject_TypeCheck(result, &PyModuleDef_Type)) {
    describe_module_def((const PyModuleDef*)result, b);
  } else if (PyModule_Check(result)) {
    PyModuleDef* def = PyModule_GetDef(result);
    PyErr_Clear();
    buf_str(b, "{\"init\":\"single-phase\"");
    if (def) buf_printf(b, ",\"m_size\":%lld", (long long)def->m_size);
    buf_str(b, "}");
  } else {
    describe_declared_failure("PyInit returned neither a module nor a PyModuleDef", b);
  }
  /* result is not released: a single-phase module's may be the only reference, and the
   * child exits without finalising. */
}

/* `declared`: one "C" record with what PyInit returned (docs/prober.md, "Declared"). */
static void probe_declared(const Request* r) {
  emit_phase("declared");
  Buf b = {0};
  describe_declared(r, &b);
  emit("C", b.data);
  buf_free(&b);
  emit_done();
}

/* RSS of this process in KiB, -1 when /proc is unreadable. */
static long resident_kb(void) {
  FILE* f = fopen("/proc/self/statm", "r");
  if (!f) return -1;
  long size = 0, resident = -1;
  if (fscanf(f, "%ld %ld", &size, &resident) != 2) resident = -1;
  fclose(f);
  return resident < 0 ? -1 : resident * (sysconf(_SC_PAGESIZE) / 1024);
}

/* Bytes malloc has handed out and not got back, in KiB; -1 where unknown. CPython keeps
 * the obmalloc arenas of an ended subinterpreter that still has live objects, so RSS grows
 * with whatever a subinterpreter imported; malloc'd memory grows by the same small amount
 * per subinterpreter whatever it imported, and by more only when something leaks it. */
static long malloc_in_use_kb(void) {
#if defined(__GLIBC__) && (__GLIBC__ > 2 || (__GLIBC__ == 2 && __GLIBC_MINOR__ >= 33))
  struct mallinfo2 info = mallinfo2();
  return (long)((info.uordblks + info.hblkhd) / 1024);
#else
  return -1;
#endif
}

typedef struct {
  const Request* request;
  PyInterpreterState* main_interp;
  StepResult result;
} StressWorker;

/* One stress thread: a new OS thread has no thread state, so it makes one for the main
 * interpreter (the documented precondition of Py_NewInterpreterFromConfig: a current
 * thread state holding its GIL), creates an isolated subinterpreter (which releases the
 * main GIL), imports, ends the subinterpreter, then deletes its main thread state. */
static void* stress_worker(void* arg) {
  StressWorker* w = arg;
  PyThreadState* main_tstate = PyThreadState_New(w->main_interp);
  if (!main_tstate) {
    step_fail(&w->result, "StressError", "PyThreadState_New failed");
    return NULL;
  }
  PyEval_RestoreThread(main_tstate);
  char* error = NULL;
  PyThreadState* sub = new_subinterpreter(true, &error);
  if (sub) {
    import_in_current_subinterpreter(w->request, &w->result, NULL);
    Py_EndInterpreter(sub);
    PyEval_RestoreThread(main_tstate);
  } else {
    step_fail(&w->result, "SubinterpreterError", error);
    free(error);
  }
  PyThreadState_Clear(main_tstate);
  PyThreadState_DeleteCurrent();
  return NULL;
}

/* Runs one cycle of threads; returns how many imports failed, keeping the first message. */
static int stress_cycle(const Request* r, int cycle, char** first_failure) {
  int n = r->stress_threads;
  StressWorker* workers = calloc((size_t)n, sizeof *workers);
  pthread_t* threads = calloc((size_t)n, sizeof *threads);
  bool* started = calloc((size_t)n, sizeof *started);
  PyInterpreterState* main_interp = PyInterpreterState_Main();
  int failures = 0;
  Py_BEGIN_ALLOW_THREADS for (int i = 0; i < n; i++) {
    workers[i].request = r;
    workers[i].main_interp = main_interp;
    started[i] = pthread_create(&threads[i], NULL, stress_worker, &workers[i]) == 0;
    if (!started[i]) step_fail(&workers[i].result, "StressError", "pthread_create failed");
  }
  for (int i = 0; i < n; i++)
    if (started[i]) pthread_join(threads[i], NULL);
  Py_END_ALLOW_THREADS for (int i = 0; i < n; i++) {
    if (!workers[i].result.ok) {
      failures++;
      if (!*first_failure) {
        Buf b = {0};
        buf_printf(&b, "cycle %d, thread %d: %s: %s", cycle + 1, i + 1,
                   workers[i].result.error_type ? workers[i].result.error_type : "?",
                   workers[i].result.message ? workers[i].result.message : "");
        *first_failure = b.data;
      }
    }
    step_clear(&workers[i].result);
  }
  free(workers);
  free(threads);
  free(started);
  return failures;
}

static void probe_stress(const Request* r) {
  char* first_failure = NULL;
  int failures = 0;
  for (int cycle = 0; cycle < r->stress_cycles; cycle++) {
    char phase[48];
    snprintf(phase, sizeof phase, "stress cycle %d", cycle + 1);
    emit_phase(phase);
    failures += stress_cycle(r, cycle, &first_failure);
    char kb[32];
    snprintf(kb, sizeof kb, "%ld", resident_kb());
    emit("R", kb);
    snprintf(kb, sizeof kb, "%ld", malloc_in_use_kb());
    emit("M", kb);
  }
  StepResult s = {0};
  s.ok = failures == 0;
  if (!s.ok) {
    Buf b = {0};
    buf_printf(&b, "%d of %d imports failed; first: %s", failures, r->stress_threads * r->stress_cycles, first_failure);
    s.error_type = strdup("StressFailure");
    s.message = b.data;
  }
  emit_step("stress", &s);
  step_clear(&s);
  free(first_failure);
  emit_done();
}

static void apply_limit(int resource, rlim_t value) {
  struct rlimit current;
  if (getrlimit(resource, &current) != 0) return;
  if (current.rlim_max != RLIM_INFINITY && current.rlim_max < value) value = current.rlim_max;
  struct rlimit wanted = {value, value};
  setrlimit(resource, &wanted);
}

static void apply_limits(const Request* r) {
  apply_limit(RLIMIT_CPU, (rlim_t)(r->timeout_ms / 1000 + 2)); /* timeout + 1 s, rounded up */
  apply_limit(RLIMIT_AS, (rlim_t)ADDRESS_SPACE_LIMIT);
  apply_limit(RLIMIT_FSIZE, (rlim_t)FILE_SIZE_LIMIT);
  apply_limit(RLIMIT_CORE, 0);
}

/* Every fd but 0, 1, 2 and keep: the zygote's protocol pipes and other children's pipes
 * must not leak into a probe. */
static void close_other_fds(int keep) {
#ifdef SYS_close_range
  if (syscall(SYS_close_range, 3U, (unsigned)keep - 1, 0U) == 0 &&
      syscall(SYS_close_range, (unsigned)keep + 1, ~0U, 0U) == 0)
    return;
#endif
  DIR* dir = opendir("/proc/self/fd");
  if (!dir) {
    long max = sysconf(_SC_OPEN_MAX);
    for (int fd = 3; fd < (max > 0 ? max : 1024); fd++)
      if (fd != keep) close(fd);
    return;
  }
  int own = dirfd(dir);
  int fds[1024];
  size_t n = 0;
  struct dirent* entry;
  while ((entry = readdir(dir)) != NULL && n < sizeof fds / sizeof *fds) {
    int fd = atoi(entry->d_name);
    if (entry->d_name[0] != '.' && fd > 2 && fd != keep && fd != own) fds[n++] = fd;
  }
  closedir(dir);
  for (size_t i = 0; i < n; i++) close(fds[i]);
}

/* ------------------------------------------------------------------------------------ */
/* The sandbox of each probe (docs/security.md)                                         */
/* ------------------------------------------------------------------------------------ */

/* Each probe runs in namespaces of its own, made by cloning the zygote with them:
 *
 *   zygote ──clone(CLONE_NEWUSER|NEWPID|NEWNS|NEWNET|NEWIPC|NEWCGROUP|NEWUTS)──> init
 *   init (PID 1 of the probe's PID namespace) ──fork──> probe (PID 2)
 *
 * The init writes the user namespace's id maps (its root is the caller's uid outside),
 * forks the probe, reaps whatever the probe leaves, and when the probe ends writes its
 * wait status to the zygote and exits: the kernel then kills every process left in the
 * namespace (setsid daemons included). The probe is not PID 1 itself because PID 1 does
 * not get the signals it sends itself (abort() would end as SIGSEGV, not SIGABRT).
 * The probe makes its mounts (everything read-only, nosuid, nodev; a private /tmp holding
 * its scratch directory; a minimal /dev; a /proc of its own PID namespace, read-only),
 * drops every capability, sets no_new_privs and loads the seccomp filter subcheck wrote
 * (--seccomp FILE), then runs the probe. */

#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <sys/mount.h>

#ifndef SYS_open_tree
#define SYS_open_tree 428
#endif
#ifndef SYS_move_mount
#define SYS_move_mount 429
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr 442
#endif
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#define MOUNT_ATTR_NOSUID 0x00000002
#define MOUNT_ATTR_NODEV 0x00000004
#endif
#ifndef CLONE_NEWCGROUP
#define CLONE_NEWCGROUP 0x02000000
#endif

struct subcheck_mount_attr { /* struct mount_attr (linux/mount.h), which glibc may lack */
  uint64_t attr_set, attr_clr, propagation, userns_fd;
};

#define SANDBOX_SCRATCH "/tmp/subcheck-probe"
#define SANDBOX_TMP_OPTIONS "mode=1777,size=256m"
#define MAX_KEEP_PATHS 64
#define SANDBOX_SETUP_FAILED 125 /* the probe's exit code when its sandbox could not be made */

typedef enum {
  SANDBOX_NAMESPACES,      /* a user namespace and every other namespace per probe */
  SANDBOX_ROOT_NAMESPACES, /* the same without a user namespace (root, user namespaces refused) */
  SANDBOX_NONE             /* plain fork: descriptors, capabilities, seccomp and rlimits only */
} SandboxLevel;

static struct {
  SandboxLevel level;
  int clone_flags;
  uid_t outer_uid;
  gid_t outer_gid;
  int last_cap;
  struct sock_filter* filter; /* the seccomp program, NULL when none was given */
  unsigned short filter_length;
  char filter_problem[256];
  char level_problem[512];    /* why a stronger level was not available */
  char* keep[MAX_KEEP_PATHS]; /* paths of the interpreter the probes must still see */
  size_t keep_count;
} sandbox = {.level = SANDBOX_NONE, .last_cap = 40};

static void sandbox_fail(char* why, size_t n, const char* what) { snprintf(why, n, "%s: %s", what, strerror(errno)); }

static bool write_proc_file(const char* path, const char* text) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  bool ok = write_all(fd, text, strlen(text));
  close(fd);
  return ok;
}

/* In the new user namespace: its root is the caller's uid and gid outside, so what the
 * probe writes into its scratch belongs to the caller, and nothing else is mapped. */
static bool write_id_maps(void) {
  char map[64];
  if (!write_proc_file("/proc/self/setgroups", "deny")) return false;
  snprintf(map, sizeof map, "0 %lu 1\n", (unsigned long)sandbox.outer_uid);
  if (!write_proc_file("/proc/self/uid_map", map)) return false;
  snprintf(map, sizeof map, "0 %lu 1\n", (unsigned long)sandbox.outer_gid);
  return write_proc_file("/proc/self/gid_map", map);
}

static int open_tree_clone(const char* path) {
  return (int)syscall(SYS_open_tree, AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
}

static int move_mount_to(int tree, const char* target) {
  return (int)syscall(SYS_move_mount, tree, "", AT_FDCWD, target, MOVE_MOUNT_F_EMPTY_PATH);
}

/* An empty file or directory to mount the detached tree `tree` on. */
static bool make_mount_point(int tree, const char* target) {
  struct stat st;
  if (fstat(tree, &st) == 0 && !S_ISDIR(st.st_mode)) {
    int fd = open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    close(fd);
    return true;
  }
  return mkdir(target, 0755) == 0 || errno == EEXIST;
}

/* "/tmp/x" for a path below /tmp ("/tmp/x/y/z"), "" for any other. */
static void tmp_top(const char* path, char* out, size_t n) {
  out[0] = '\0';
  if (strncmp(path, "/tmp/", 5) != 0 || path[5] == '\0' || path[5] == '/') return;
  const char* end = strchr(path + 5, '/');
  size_t len = end ? (size_t)(end - path) : strlen(path);
  if (len < n) {
    memcpy(out, path, len);
    out[len] = '\0';
  }
}

/* The entries right below /tmp that the probe needs (the module, its sys.path, the
 * interpreter): cloned read-only before /tmp becomes the probe's own, mounted back after. */
typedef struct {
  char path[MAX_KEEP_PATHS * 2][PATH_MAX];
  int tree[MAX_KEEP_PATHS * 2];
  size_t count;
} KeptTmp;

static void keep_tmp_entry(KeptTmp* kept, const char* path) {
  char real[PATH_MAX], top[PATH_MAX];
  const char* candidates[2] = {path, realpath(path, real) ? real : NULL};
  for (int k = 0; k < 2; k++) {
    if (!candidates[k]) continue;
    tmp_top(candidates[k], top, sizeof top);
    if (!top[0] || strcmp(top, SANDBOX_SCRATCH) == 0 || kept->count >= MAX_KEEP_PATHS * 2) continue;
    bool seen = false;
    for (size_t i = 0; i < kept->count; i++) seen = seen || strcmp(kept->path[i], top) == 0;
    if (seen) continue;
    int tree = open_tree_clone(top);
    if (tree < 0) continue; /* gone: the import will say so */
    snprintf(kept->path[kept->count], PATH_MAX, "%s", top);
    kept->tree[kept->count++] = tree;
  }
}

static void collect_kept_tmp(const Request* r, KeptTmp* kept) {
  kept->count = 0;
  for (size_t i = 0; i < sandbox.keep_count; i++) keep_tmp_entry(kept, sandbox.keep[i]);
  if (!r) return;
  if (r->file && r->file[0]) keep_tmp_entry(kept, r->file);
  for (size_t i = 0; i < r->sys_path_count; i++) keep_tmp_entry(kept, r->sys_path[i]);
}

/* A private /tmp (a fresh tmpfs) holding the probe's scratch directory and, read-only,
 * the /tmp entries the probe needs. */
static bool mount_private_tmp(const Request* r, char* why, size_t n) {
  static KeptTmp kept; /* large: not on the stack */
  collect_kept_tmp(r, &kept);
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, SANDBOX_TMP_OPTIONS) != 0) {
    sandbox_fail(why, n, "mounting a private /tmp");
    return false;
  }
  for (size_t i = 0; i < kept.count; i++) {
    if (!make_mount_point(kept.tree[i], kept.path[i]) || move_mount_to(kept.tree[i], kept.path[i]) != 0) {
      sandbox_fail(why, n, "mounting a needed /tmp entry back");
      return false;
    }
    close(kept.tree[i]);
  }
  if (mkdir(SANDBOX_SCRATCH, 0700) != 0) {
    sandbox_fail(why, n, "creating the scratch directory");
    return false;
  }
  return true;
}

static const char* const SANDBOX_DEVICES[] = {"null", "zero", "full", "random", "urandom", "tty"};
#define SANDBOX_DEVICE_COUNT (sizeof SANDBOX_DEVICES / sizeof *SANDBOX_DEVICES)

/* /dev with the harmless character devices only (no disks, no /dev/mem). */
static bool mount_minimal_dev(const int* devices, char* why, size_t n) {
  if (mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=64k") != 0) {
    sandbox_fail(why, n, "mounting /dev");
    return false;
  }
  char target[64];
  for (size_t i = 0; i < SANDBOX_DEVICE_COUNT; i++) {
    if (devices[i] < 0) continue;
    snprintf(target, sizeof target, "/dev/%s", SANDBOX_DEVICES[i]);
    if (!make_mount_point(devices[i], target) || move_mount_to(devices[i], target) != 0) {
      sandbox_fail(why, n, "mounting a device node");
      return false;
    }
    close(devices[i]);
  }
  static const char* const links[][2] = {{"/proc/self/fd", "/dev/fd"},
                                         {"/proc/self/fd/0", "/dev/stdin"},
                                         {"/proc/self/fd/1", "/dev/stdout"},
                                         {"/proc/self/fd/2", "/dev/stderr"}};
  for (size_t i = 0; i < sizeof links / sizeof *links; i++) {
    if (symlink(links[i][0], links[i][1]) != 0) {
      sandbox_fail(why, n, "creating /dev links");
      return false;
    }
  }
  if (mkdir("/dev/shm", 01777) != 0 ||
      mount("tmpfs", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777,size=64m") != 0) {
    sandbox_fail(why, n, "mounting /dev/shm");
    return false;
  }
  return true;
}

/* Only ever called in a mount namespace of the probe's own (the clone made one). */
static bool sandbox_mounts(const Request* r, char* why, size_t n) {
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0) {
    sandbox_fail(why, n, "making the mounts private");
    return false;
  }
  int devices[SANDBOX_DEVICE_COUNT];
  for (size_t i = 0; i < SANDBOX_DEVICE_COUNT; i++) {
    char path[64];
    snprintf(path, sizeof path, "/dev/%s", SANDBOX_DEVICES[i]);
    devices[i] = open_tree_clone(path); /* before the tree becomes nodev */
  }
  struct subcheck_mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV};
  if (syscall(SYS_mount_setattr, AT_FDCWD, "/", AT_RECURSIVE, &attr, sizeof attr) != 0) {
    sandbox_fail(why, n, "making the filesystem read-only (mount_setattr)");
    return false;
  }
  if (!mount_private_tmp(r, why, n) || !mount_minimal_dev(devices, why, n)) return false;
  /* Read-only: a probe whose uid is root outside must not write /proc/sys. */
  if (mount("proc", "/proc", "proc", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) != 0) {
    sandbox_fail(why, n, "mounting /proc");
    return false;
  }
  return true;
}

/* No capability left in any set (the bounding set too, so exec cannot bring them back),
 * no_new_privs, then the seccomp filter. Without a sandbox level (and not root), dropping
 * the bounding set fails harmlessly: there was nothing to drop. */
static bool drop_privileges(char* why, size_t n) {
  for (int cap = 0; cap <= sandbox.last_cap; cap++) prctl(PR_CAPBSET_DROP, cap, 0, 0, 0);
  prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0);
  struct __user_cap_header_struct header = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct data[2];
  memset(data, 0, sizeof data);
  if (syscall(SYS_capset, &header, data) != 0) {
    sandbox_fail(why, n, "dropping capabilities");
    return false;
  }
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
    sandbox_fail(why, n, "setting no_new_privs");
    return false;
  }
  if (sandbox.filter) {
    struct sock_fprog program = {.len = sandbox.filter_length, .filter = sandbox.filter};
    if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) != 0) {
      sandbox_fail(why, n, "loading the seccomp filter");
      return false;
    }
  }
  return true;
}

/* Reads the BPF program (an array of struct sock_filter) subcheck wrote. */
static void load_seccomp_filter(const char* path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size % (off_t)sizeof(struct sock_filter) != 0 ||
      st.st_size / (off_t)sizeof(struct sock_filter) > BPF_MAXINSNS) {
    snprintf(sandbox.filter_problem, sizeof sandbox.filter_problem, "cannot read the seccomp filter %s", path);
    if (fd >= 0) close(fd);
    return;
  }
  sandbox.filter = malloc((size_t)st.st_size);
  ssize_t got = sandbox.filter ? read(fd, sandbox.filter, (size_t)st.st_size) : -1;
  close(fd);
  if (got != st.st_size) {
    free(sandbox.filter);
    sandbox.filter = NULL;
    snprintf(sandbox.filter_problem, sizeof sandbox.filter_problem, "cannot read the seccomp filter %s", path);
    return;
  }
  sandbox.filter_length = (unsigned short)(st.st_size / (off_t)sizeof(struct sock_filter));
}

static void add_keep_path(const char* path) {
  if (path && path[0] == '/' && sandbox.keep_count < MAX_KEEP_PATHS) sandbox.keep[sandbox.keep_count++] = strdup(path);
}

/* What of the interpreter a probe reads: its prefixes, its sys.path, this host. */
static void collect_keep_paths(const char* program) {
  static const char* const names[] = {"prefix", "base_prefix", "exec_prefix", "base_exec_prefix", "executable"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++) {
    char* text = py_text(PySys_GetObject(names[i]));
    add_keep_path(text);
    free(text);
  }
  PyObject* path = PySys_GetObject("path");
  for (Py_ssize_t i = 0; path && PyList_Check(path) && i < PyList_GET_SIZE(path); i++) {
    char* text = py_text(PyList_GET_ITEM(path, i));
    add_keep_path(text);
    free(text);
  }
  char exe[PATH_MAX];
  ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (len > 0) {
    exe[len] = '\0';
    add_keep_path(exe);
  }
  add_keep_path(program);
  PyErr_Clear();
}

/* The probe process, in its namespaces: mounts, then privileges. On failure it writes an
 * "X <reason>" record and exits: a probe never runs with less isolation than reported. */
static void enter_probe_sandbox(const Request* r, int result_write) {
  char why[512] = "";
  bool ok = true;
  if (sandbox.level != SANDBOX_NONE) ok = sandbox_mounts(r, why, sizeof why);
  if (ok) ok = drop_privileges(why, sizeof why);
  if (ok) return;
  char record[600];
  int n = snprintf(record, sizeof record, "X sandbox setup failed: %s\n", why);
  if (n > 0) write_all(result_write, record, (size_t)n < sizeof record ? (size_t)n : sizeof record - 1);
  _exit(SANDBOX_SETUP_FAILED);
}

static void reset_signal_handlers(void) {
  for (int signo = 1; signo < NSIG; signo++) signal(signo, SIG_DFL);
}

/* clone(2) with namespaces, as fork() otherwise behaves (same stack, copy-on-write). */
static pid_t clone_with_namespaces(int flags) {
  return (pid_t)syscall(SYS_clone, (unsigned long)(flags | SIGCHLD), NULL, NULL, NULL, NULL);
}

static const char* sandbox_level_name(void) {
  switch (sandbox.level) {
    case SANDBOX_NAMESPACES: return "namespaces";
    case SANDBOX_ROOT_NAMESPACES: return "namespaces-without-user-namespace";
    case SANDBOX_NONE: break;
  }
  return "none";
}

/* Runs the whole sandbox set-up once in a throw-away child at start-up, so the hello says
 * what every probe will get. */
static bool sandbox_trial(int flags, SandboxLevel level, char* why, size_t n) {
  int report[2];
  if (pipe2(report, O_CLOEXEC) != 0) {
    sandbox_fail(why, n, "pipe");
    return false;
  }
  SandboxLevel saved = sandbox.level;
  sandbox.level = level;
  pid_t pid = clone_with_namespaces(flags);
  if (pid == 0) {
    reset_signal_handlers();
    char reason[512] = "";
    if (level == SANDBOX_NAMESPACES && !write_id_maps()) {
      sandbox_fail(reason, sizeof reason, "writing the user namespace's id maps");
      write_all(report[1], reason, strlen(reason));
      _exit(1);
    }
    pid_t probe = fork();
    if (probe == 0) {
      if (sandbox_mounts(NULL, reason, sizeof reason) && drop_privileges(reason, sizeof reason)) _exit(0);
      write_all(report[1], reason, strlen(reason));
      _exit(1);
    }
    int status = 0;
    while (probe > 0 && waitpid(probe, &status, 0) < 0 && errno == EINTR) {
    }
    _exit(probe > 0 && WIFEXITED(status) ? WEXITSTATUS(status) : 1);
  }
  sandbox.level = saved;
  close(report[1]);
  if (pid < 0) {
    sandbox_fail(why, n, "clone");
    close(report[0]);
    return false;
  }
  int status = 0;
  while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  ssize_t got = read(report[0], why, n - 1);
  why[got > 0 ? got : 0] = '\0';
  close(report[0]);
  bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
  if (!ok && !why[0]) snprintf(why, n, "the trial child %s", WIFSIGNALED(status) ? "was killed" : "failed");
  return ok;
}

static int read_last_cap(void) {
  FILE* f = fopen("/proc/sys/kernel/cap_last_cap", "r");
  int last = 40;
  if (f) {
    if (fscanf(f, "%d", &last) != 1) last = 40;
    fclose(f);
  }
  return last;
}

/* The strongest sandbox this kernel gives: user and other namespaces, else (root) the
 * namespaces without a user namespace, else none. `wanted` ("none") can only weaken it. */
static void choose_sandbox(const char* wanted) {
  const int namespaces = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWIPC | CLONE_NEWUTS | CLONE_NEWCGROUP;
  sandbox.outer_uid = geteuid();
  sandbox.outer_gid = getegid();
  sandbox.last_cap = read_last_cap();
  if (wanted && strcmp(wanted, "none") == 0) {
    snprintf(sandbox.level_problem, sizeof sandbox.level_problem, "namespaces turned off (--sandbox none)");
    return;
  }
  char why[512] = "";
  if (sandbox_trial(namespaces | CLONE_NEWUSER, SANDBOX_NAMESPACES, why, sizeof why)) {
    sandbox.level = SANDBOX_NAMESPACES;
    sandbox.clone_flags = namespaces | CLONE_NEWUSER;
    return;
  }
  int used = snprintf(sandbox.level_problem, sizeof sandbox.level_problem, "no user namespace (%s)", why);
  if (geteuid() == 0 && sandbox_trial(namespaces, SANDBOX_ROOT_NAMESPACES, why, sizeof why)) {
    sandbox.level = SANDBOX_ROOT_NAMESPACES;
    sandbox.clone_flags = namespaces;
    return;
  }
  if (geteuid() == 0 && used > 0 && (size_t)used < sizeof sandbox.level_problem)
    snprintf(sandbox.level_problem + used, sizeof sandbox.level_problem - (size_t)used, "; no namespaces as root (%s)",
             why);
}

/* The hello's "sandbox" object: what every probe gets, in words, and what it does not. */
static void append_sandbox_description(Buf* b) {
  buf_printf(b, ",\"sandbox\":{\"level\":\"%s\",\"isolation\":[", sandbox_level_name());
  const char* items[12];
  size_t n = 0;
  if (sandbox.level == SANDBOX_NAMESPACES)
    items[n++] =
        "a user namespace per probe: its root is the caller's uid outside, with no capability in the caller's "
        "namespaces";
  if (sandbox.level != SANDBOX_NONE) {
    items[n++] = "a PID namespace per probe: it sees only its own processes, and all of them are killed when it ends";
    items[n++] =
        "a mount namespace per probe: the whole filesystem read-only, nosuid and nodev, but a private /tmp holding its "
        "scratch directory; a /dev of null, zero, full, random, urandom and tty; its own read-only /proc";
    items[n++] = "a network namespace per probe: no interface but a loopback that is down";
    items[n++] = "IPC, UTS and cgroup namespaces per probe";
  }
  items[n++] = "every capability dropped (bounding set included) and no_new_privs";
  items[n++] = sandbox.filter ? "a seccomp filter (subcheck's list: namespaces, mounts, ptrace, Unix-domain sockets, "
                                "io_uring, bpf, keyrings, kernel modules and the like refused)"
                              : "no seccomp filter";
  items[n++] = "no inherited descriptor but /dev/null as stdin, a capped output pipe and a private result pipe";
  for (size_t i = 0; i < n; i++) {
    if (i) buf_str(b, ",");
    buf_json_string(b, items[i]);
  }
  buf_str(b, "],\"problems\":[");
  bool first = true;
  if (sandbox.level_problem[0]) {
    buf_json_string(b, sandbox.level_problem);
    first = false;
  }
  if (sandbox.filter_problem[0]) {
    if (!first) buf_str(b, ",");
    buf_json_string(b, sandbox.filter_problem);
  }
  buf_str(b, "]}");
}

/* PID 1 of the probe's namespace (docs above). Never returns. */
static void sandbox_init_main(const Request* r, int result_write, int output_write, int status_write,
                              void (*probe_main_fn)(const Request*, int, int, const char*, pid_t)) {
  reset_signal_handlers(); /* the zygote's SIGCHLD handler writes to its pipe */
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  setpgid(0, 0);
  if (sandbox.level == SANDBOX_NAMESPACES && !write_id_maps()) {
    char record[300];
    int n = snprintf(record, sizeof record, "X sandbox setup failed: writing the user namespace's id maps: %s\n",
                     strerror(errno));
    if (n > 0) write_all(result_write, record, (size_t)n);
    _exit(SANDBOX_SETUP_FAILED);
  }
  pid_t probe = fork();
  if (probe == 0) probe_main_fn(r, result_write, output_write, NULL, 1);
  int devnull = open("/dev/null", O_RDWR);
  for (int fd = 0; fd < 3 && devnull >= 0; fd++) dup2(devnull, fd);
  close_other_fds(status_write);
  if (probe < 0) _exit(SANDBOX_SETUP_FAILED);
  for (;;) {
    int status = 0;
    pid_t got = waitpid(-1, &status, 0);
    if (got == probe) {
      write_all(status_write, (const char*)&status, sizeof status);
      _exit(0); /* and the kernel ends every process left in the namespace */
    }
    if (got < 0 && errno != EINTR) _exit(SANDBOX_SETUP_FAILED);
  }
}

static void child_main(const Request* r, int result_write, int output_write, const char* workdir, pid_t zygote) {
  PyOS_AfterFork_Child();
  /* Without a workdir the child is in its own namespaces: its parent is their init
   * (PID 1), whose process group it stays in. */
  if (workdir) setpgid(0, 0);
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() != zygote) _exit(120);
  /* What a normal python process does (install_signal_handlers is off in the host). */
  signal(SIGCHLD, SIG_DFL);
  signal(SIGPIPE, SIG_IGN);
  signal(SIGXFSZ, SIG_IGN);

  int devnull = open("/dev/null", O_RDONLY);
  if (devnull >= 0) dup2(devnull, 0);
  dup2(output_write, 1);
  dup2(output_write, 2);
  result_fd = fcntl(result_write, F_DUPFD_CLOEXEC, RESULT_FD_MIN);
  if (result_fd < 0) result_fd = result_write;
  close_other_fds(result_fd);
  setvbuf(stdout, NULL, _IOLBF, 0); /* C-level prints reach the pipe before a crash */

  enter_probe_sandbox(r, result_fd);
  if (!workdir) workdir = SANDBOX_SCRATCH;
  apply_limits(r);
  if (chdir(workdir) != 0) _exit(121);
  setenv("HOME", workdir, 1);
  setenv("TMPDIR", workdir, 1);
  if (!prepare_interpreter(main_support, r, workdir)) {
    StepResult s = {0};
    step_from_exception(&s);
    emit_phase("setup");
    emit_step("main", &s);
    emit_done();
    _exit(0);
  }

  switch (r->probe) {
    case PROBE_MAIN: probe_main(r); break;
    case PROBE_GIL: probe_gil(r); break;
    case PROBE_ISOLATED: probe_subinterpreter(r, true, true); break;
    case PROBE_ISOLATED_FRESH: probe_subinterpreter(r, true, false); break;
    case PROBE_SHARED: probe_subinterpreter(r, false, true); break;
    case PROBE_STRESS: probe_stress(r); break;
    case PROBE_COMBINED: probe_combined(r); break;
    case PROBE_DECLARED: probe_declared(r); break;
  }
  fflush(NULL);
  _exit(0); /* no Py_Finalize: speed, and the process is thrown away */
}

/* ------------------------------------------------------------------------------------ */
/* The zygote: queue, fork, supervise, answer                                           */
/* ------------------------------------------------------------------------------------ */

typedef struct {
  bool used;
  Request request;
  pid_t pid;
  int result_fd, output_fd; /* read ends, -1 once closed */
  Buf results;
  char tail[OUTPUT_TAIL]; /* ring buffer: the last OUTPUT_TAIL bytes of output */
  unsigned long long output_bytes;
  long long started_ms, deadline_ms;
  bool timed_out;
  int status_fd;          /* sandboxed: the probe's wait status, from its init */
  char malformed[160];    /* the first malformed result record, if any */
  size_t records_checked; /* bytes of `results` already validated */
  unsigned steps_seen;    /* bit per step name (STEP_NAMES) */
  bool done_seen, objects_seen, declared_seen;
  char workdir[PATH_MAX]; /* unsandboxed only: the probe's temp directory */
} Child;

typedef struct QueuedRequest {
  Request request;
  struct QueuedRequest* next;
} QueuedRequest;

static struct {
  int protocol_in, protocol_out;
  int sigchld_pipe[2];
  int jobs;
  const char* scratch;
  Child children[MAX_JOBS];
  int running;
  QueuedRequest *queue_head, *queue_tail;
  Buf input;
  bool input_eof, discarding_line;
} zygote = {.protocol_in = -1, .protocol_out = -1, .sigchld_pipe = {-1, -1}, .jobs = 1};

static void on_sigchld(int signo) {
  (void)signo;
  int saved = errno;
  char byte = 0;
  if (write(zygote.sigchld_pipe[1], &byte, 1) < 0) { /* full: a wakeup is already pending */
  }
  errno = saved;
}

static void send_line(Buf* b) {
  buf_add(b, "\n", 1);
  if (!write_all(zygote.protocol_out, b->data, b->len)) _exit(3); /* the runner is gone */
}

static void json_id(Buf* b, bool has_id, long long id) {
  if (has_id)
    buf_printf(b, "{\"id\":%lld", id);
  else
    buf_str(b, "{\"id\":null");
}

static void answer_error(bool has_id, long long id, const char* probe, const char* message) {
  Buf b = {0};
  json_id(&b, has_id, id);
  if (probe) {
    buf_str(&b, ",\"probe\":");
    buf_json_string(&b, probe);
  }
  buf_str(&b,
          ",\"outcome\":\"error\",\"exit_code\":0,\"signal\":0,\"elapsed_ms\":0,\"steps\":[],"
          "\"output\":\"\",\"output_truncated\":false,\"message\":");
  buf_json_string(&b, message);
  buf_str(&b, "}");
  send_line(&b);
  buf_free(&b);
}

static void enqueue(Request* r) {
  QueuedRequest* q = calloc(1, sizeof *q);
  if (!q) abort();
  q->request = *r;
  if (zygote.queue_tail)
    zygote.queue_tail->next = q;
  else
    zygote.queue_head = q;
  zygote.queue_tail = q;
}

static void handle_request_line(const char* line, size_t n) {
  while (n > 0 && (line[n - 1] == '\r' || line[n - 1] == ' ')) n--;
  if (n == 0) return;
  Request r;
  const char* error = parse_request(line, n, &r);
  if (error) {
    answer_error(r.has_id, r.id, NULL, error);
    request_free(&r);
    return;
  }
  enqueue(&r);
}

static void read_requests(void) {
  char chunk[65536];
  ssize_t got = read(zygote.protocol_in, chunk, sizeof chunk);
  if (got < 0 && (errno == EINTR || errno == EAGAIN)) return;
  if (got <= 0) {
    zygote.input_eof = true;
    if (zygote.input.len > 0 && !zygote.discarding_line) handle_request_line(zygote.input.data, zygote.input.len);
    zygote.input.len = 0;
    return;
  }
  for (ssize_t i = 0; i < got; i++) {
    if (chunk[i] != '\n') {
      if (zygote.discarding_line) continue;
      if (zygote.input.len >= MAX_REQUEST_LINE) {
        answer_error(false, 0, NULL, "request line too long");
        zygote.discarding_line = true;
        zygote.input.len = 0;
        continue;
      }
      buf_add(&zygote.input, &chunk[i], 1);
      continue;
    }
    if (!zygote.discarding_line) handle_request_line(zygote.input.data ? zygote.input.data : "", zygote.input.len);
    zygote.discarding_line = false;
    zygote.input.len = 0;
  }
}

static Child* free_slot(void) {
  for (int i = 0; i < zygote.jobs; i++)
    if (!zygote.children[i].used) return &zygote.children[i];
  return NULL;
}

static void close_pair(int pair[2]) {
  for (int i = 0; i < 2; i++) {
    if (pair[i] >= 0) close(pair[i]);
    pair[i] = -1;
  }
}

/* Forks the child for a request (in namespaces of its own when the sandbox has them);
 * answers `error` itself when that is impossible. */
static void start_child(Request* r) {
  Child* c = free_slot();
  int result_pipe[2] = {-1, -1}, output_pipe[2] = {-1, -1}, status_pipe[2] = {-1, -1};
  const bool namespaced = sandbox.level != SANDBOX_NONE;
  char workdir[PATH_MAX] = "";
  if (!namespaced) snprintf(workdir, sizeof workdir, "%s/probe-%lld-XXXXXX", zygote.scratch, r->has_id ? r->id : -1LL);
  const char* failure = NULL;
  if (!c)
    failure = "no free child slot";
  else if (pipe2(result_pipe, O_CLOEXEC) != 0 || pipe2(output_pipe, O_CLOEXEC) != 0 ||
           (namespaced && pipe2(status_pipe, O_CLOEXEC) != 0))
    failure = "pipe() failed";
  else if (!namespaced && !mkdtemp(workdir))
    failure = "cannot create the probe's temp directory";
  if (failure) {
    answer_error(r->has_id, r->id, PROBE_NAMES[r->probe], failure);
    close_pair(result_pipe);
    close_pair(output_pipe);
    close_pair(status_pipe);
    request_free(r);
    return;
  }
  pid_t zygote_pid = getpid();
  PyOS_BeforeFork();
  pid_t pid = namespaced ? clone_with_namespaces(sandbox.clone_flags) : fork();
  if (pid == 0 && namespaced) sandbox_init_main(r, result_pipe[1], output_pipe[1], status_pipe[1], child_main);
  if (pid == 0) child_main(r, result_pipe[1], output_pipe[1], workdir, zygote_pid);
  PyOS_AfterFork_Parent();
  close(result_pipe[1]);
  close(output_pipe[1]);
  if (status_pipe[1] >= 0) close(status_pipe[1]);
  if (pid < 0) {
    char message[200];
    snprintf(message, sizeof message, "%s failed: %s", namespaced ? "clone()" : "fork()", strerror(errno));
    close(result_pipe[0]);
    close(output_pipe[0]);
    if (status_pipe[0] >= 0) close(status_pipe[0]);
    if (workdir[0]) remove_tree(workdir);
    answer_error(r->has_id, r->id, PROBE_NAMES[r->probe], message);
    request_free(r);
    return;
  }
  setpgid(pid, pid); /* also in the child: whichever runs first */
  memset(c, 0, sizeof *c);
  c->used = true;
  c->request = *r;
  c->pid = pid;
  c->result_fd = result_pipe[0];
  c->output_fd = output_pipe[0];
  c->status_fd = status_pipe[0];
  set_nonblocking(c->result_fd);
  set_nonblocking(c->output_fd);
  c->started_ms = now_ms();
  c->deadline_ms = c->started_ms + r->timeout_ms;
  snprintf(c->workdir, sizeof c->workdir, "%s", workdir);
  zygote.running++;
}

static void start_queued_children(void) {
  while (zygote.running < zygote.jobs && zygote.queue_head) {
    QueuedRequest* q = zygote.queue_head;
    zygote.queue_head = q->next;
    if (!zygote.queue_head) zygote.queue_tail = NULL;
    start_child(&q->request);
    free(q);
  }
}

static void keep_output(Child* c, const char* data, size_t n) {
  for (size_t i = 0; i < n; i++) c->tail[(c->output_bytes + i) % OUTPUT_TAIL] = data[i];
  c->output_bytes += n;
}

static const char* const STEP_NAMES[] = {"main", "isolated", "isolated-fresh", "shared", "stress"};

static bool is_json_kind(const char* text, JType kind, JValue* out) {
  if (!json_parse(text, strlen(text), out)) return false;
  if (out->type == kind) return true;
  json_free(out);
  return false;
}

static bool optional_string_field(const JValue* object, const char* key) {
  const JValue* v = json_get(object, key);
  return !v || v->type == J_STRING;
}

/* A step record: an object with a known "where" (each at most once) and a boolean "ok". */
static const char* check_step(Child* c, const char* payload) {
  JValue step;
  if (!is_json_kind(payload, J_OBJECT, &step)) return "a step that is not a JSON object";
  const JValue *where = json_get(&step, "where"), *ok = json_get(&step, "ok");
  const char* problem = NULL;
  int index = -1;
  for (size_t i = 0; where && where->type == J_STRING && i < sizeof STEP_NAMES / sizeof *STEP_NAMES; i++)
    if (strcmp(where->string, STEP_NAMES[i]) == 0) index = (int)i;
  if (index < 0)
    problem = "a step with an unknown \"where\"";
  else if (!ok || ok->type != J_BOOL)
    problem = "a step without a boolean \"ok\"";
  else if (c->steps_seen & (1u << index))
    problem = "the same step twice";
  else if (!optional_string_field(&step, "error_type") || !optional_string_field(&step, "message") ||
           !optional_string_field(&step, "via") || !optional_string_field(&step, "package_error") ||
           !optional_string_field(&step, "fallback"))
    problem = "a step field that is not a string";
  else if (json_get(&step, "package_imports_it") && json_get(&step, "package_imports_it")->type != J_BOOL)
    problem = "a step field that is not a boolean";
  if (!problem) c->steps_seen |= 1u << index;
  json_free(&step);
  return problem;
}

static bool is_integer_text(const char* text) {
  if (*text == '-') text++;
  if (!*text || strlen(text) > 18) return false;
  for (; *text; text++)
    if (*text < '0' || *text > '9') return false;
  return true;
}

static bool is_json_boolean_or_null(const char* word) {
  return strcmp(word, "null") == 0 || strcmp(word, "true") == 0 || strcmp(word, "false") == 0;
}

/* What is wrong with one result record (docs/prober.md, "Each child"), NULL when nothing.
 * The probe code writes exactly these; anything else came from the module. */
static const char* check_record(Child* c, char* line) {
  if (c->done_seen) return "a record after the final one";
  char tag = line[0];
  if (tag == 'D') {
    c->done_seen = true;
    return line[1] == '\0' ? NULL : "a malformed final record";
  }
  if (tag == '\0' || line[1] != ' ') return "a record without a known tag";
  const char* payload = line + 2;
  switch (tag) {
    case 'P': return strlen(payload) <= 64 ? NULL : "an overlong phase";
    case 'X': return NULL;
    case 'S': return check_step(c, payload);
    case 'R':
    case 'M': return is_integer_text(payload) ? NULL : "a memory figure that is not an integer";
    case 'G': {
      char before[8] = "", after[8] = "", extra[2] = "";
      if (sscanf(payload, "%7s %7s %1s", before, after, extra) != 2 || !is_json_boolean_or_null(before) ||
          !is_json_boolean_or_null(after))
        return "a malformed GIL record";
      return NULL;
    }
    case 'C': {
      JValue declared;
      if (c->declared_seen || !is_json_kind(payload, J_OBJECT, &declared)) return "a malformed declared record";
      const JValue* init = json_get(&declared, "init");
      const bool good = init && init->type == J_STRING && optional_string_field(&declared, "error") &&
                        optional_string_field(&declared, "multiple_interpreters") &&
                        optional_string_field(&declared, "gil");
      json_free(&declared);
      c->declared_seen = true;
      return good ? NULL : "a malformed declared record";
    }
    case 'O': {
      JValue list;
      if (c->objects_seen || !is_json_kind(payload, J_ARRAY, &list)) return "a malformed shared-objects record";
      bool strings = true;
      for (size_t i = 0; i < list.count; i++) strings = strings && list.items[i].type == J_STRING;
      json_free(&list);
      c->objects_seen = true;
      return strings ? NULL : "a malformed shared-objects record";
    }
    default: return "a record without a known tag";
  }
}

/* Validates the complete records that arrived since the last call. A malformed one ends
 * the probe at once: its answer is an error, not a timeout. */
static void check_new_records(Child* c) {
  while (!c->malformed[0] && c->records_checked < c->results.len) {
    char* line = c->results.data + c->records_checked;
    char* end = memchr(line, '\n', c->results.len - c->records_checked);
    if (!end) return;
    *end = '\0';
    const char* problem = check_record(c, line);
    *end = '\n';
    c->records_checked = (size_t)(end - c->results.data) + 1;
    if (problem) {
      snprintf(c->malformed, sizeof c->malformed, "%s", problem);
      kill(-c->pid, SIGKILL);
      kill(c->pid, SIGKILL);
    }
  }
}

/* Reads what is available on one of the child's pipes; false at EOF (fd closed). */
static bool drain_fd(Child* c, int* fd, bool is_output) {
  char chunk[65536];
  for (;;) {
    ssize_t got = read(*fd, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && errno == EAGAIN) return true;
    if (got <= 0) {
      close(*fd);
      *fd = -1;
      return false;
    }
    if (is_output) {
      keep_output(c, chunk, (size_t)got);
    } else if (c->results.len + (size_t)got <= MAX_RESULT_BYTES) {
      buf_add(&c->results, chunk, (size_t)got);
      check_new_records(c);
    } else if (!c->malformed[0]) {
      snprintf(c->malformed, sizeof c->malformed, "more than %d bytes of result records", MAX_RESULT_BYTES);
      kill(-c->pid, SIGKILL);
      kill(c->pid, SIGKILL);
    }
  }
}

/* What the child's result records say, assembled for the answer. */
typedef struct {
  Buf steps, shared_objects, rss, heap, declared;
  const char* phase;
  const char* sandbox_failure; /* an "X" record: the probe's sandbox could not be made */
  char gil_before[8], gil_after[8];
  bool done;
} ChildRecords;

static bool valid_json(const char* text) {
  JValue v;
  if (!json_parse(text, strlen(text), &v)) return false;
  json_free(&v);
  return true;
}

static void read_records(Child* c, ChildRecords* out) {
  memset(out, 0, sizeof *out);
  strcpy(out->gil_before, "null");
  strcpy(out->gil_after, "null");
  out->phase = "start";
  if (c->malformed[0]) return; /* void: nothing the child wrote is reported */
  char* line = c->results.data;
  while (line && *line) {
    char* end = strchr(line, '\n');
    if (!end) break; /* a record cut short by a crash */
    *end = '\0';
    char tag = line[0];
    const char* payload = line[1] == ' ' ? line + 2 : line + 1;
    if (tag == 'P')
      out->phase = payload;
    else if (tag == 'X')
      out->sandbox_failure = payload;
    else if (tag == 'D')
      out->done = true;
    else if (tag == 'S' && valid_json(payload)) {
      if (out->steps.len) buf_str(&out->steps, ",");
      buf_str(&out->steps, payload);
    } else if (tag == 'C' && payload[0] == '{' && valid_json(payload)) {
      buf_free(&out->declared);
      buf_str(&out->declared, payload);
    } else if (tag == 'O' && payload[0] == '[' && valid_json(payload)) {
      buf_free(&out->shared_objects);
      buf_str(&out->shared_objects, payload);
    } else if (tag == 'R' || tag == 'M') {
      Buf* list = tag == 'R' ? &out->rss : &out->heap;
      if (list->len) buf_str(list, ",");
      buf_printf(list, "%ld", strtol(payload, NULL, 10));
    } else if (tag == 'G') {
      char before[8] = "", after[8] = "";
      if (sscanf(payload, "%5s %5s", before, after) == 2) {
        snprintf(out->gil_before, sizeof out->gil_before, "%s", before);
        snprintf(out->gil_after, sizeof out->gil_after, "%s", after);
      }
    }
    line = end + 1;
  }
}

static void append_output(Buf* b, const Child* c) {
  size_t kept = c->output_bytes < OUTPUT_TAIL ? (size_t)c->output_bytes : OUTPUT_TAIL;
  size_t start = (size_t)((c->output_bytes - kept) % OUTPUT_TAIL);
  char linear[OUTPUT_TAIL];
  for (size_t i = 0; i < kept; i++) linear[i] = c->tail[(start + i) % OUTPUT_TAIL];
  buf_str(b, ",\"output\":");
  buf_json_string_n(b, linear, kept);
  buf_printf(b, ",\"output_truncated\":%s,\"output_bytes\":%llu", c->output_bytes > OUTPUT_TAIL ? "true" : "false",
             c->output_bytes);
}

static void answer_child(Child* c, int status) {
  ChildRecords records;
  read_records(c, &records);
  const char* outcome;
  int signo = 0, exit_code = 0;
  if (WIFSIGNALED(status)) signo = WTERMSIG(status);
  if (WIFEXITED(status)) exit_code = WEXITSTATUS(status);
  const char* error = c->malformed[0] ? c->malformed : records.sandbox_failure;
  if (error)
    outcome = "error";
  else if (c->timed_out || signo == SIGXCPU)
    outcome = "timeout";
  else if (signo)
    outcome = "crash";
  else if (exit_code == 0 && records.done)
    outcome = "ok";
  else
    outcome = "exit";

  Buf b = {0};
  json_id(&b, c->request.has_id, c->request.id);
  buf_str(&b, ",\"probe\":");
  buf_json_string(&b, PROBE_NAMES[c->request.probe]);
  buf_printf(&b, ",\"outcome\":\"%s\",\"exit_code\":%d,\"signal\":%d", outcome, exit_code, signo);
  if (strcmp(outcome, "ok") != 0) {
    buf_str(&b, ",\"during\":");
    buf_json_string(&b, records.done ? "teardown" : records.phase);
  }
  if (c->malformed[0]) {
    buf_str(&b, ",\"message\":");
    Buf message = {0};
    buf_printf(&message, "the probe child wrote a malformed result record (%s): its results are void", c->malformed);
    buf_json_string(&b, message.data);
    buf_free(&message);
  } else if (error) {
    buf_str(&b, ",\"message\":");
    buf_json_string(&b, error);
  }
  buf_printf(&b, ",\"elapsed_ms\":%lld", now_ms() - c->started_ms);
  buf_printf(&b, ",\"steps\":[%s]", records.steps.len ? records.steps.data : "");
  buf_printf(&b, ",\"shared_objects\":%s", records.shared_objects.len ? records.shared_objects.data : "[]");
  buf_printf(&b, ",\"gil_before\":%s,\"gil_after\":%s", records.gil_before, records.gil_after);
  buf_printf(&b, ",\"rss_kb\":[%s]", records.rss.len ? records.rss.data : "");
  buf_printf(&b, ",\"heap_kb\":[%s]", records.heap.len ? records.heap.data : "");
  if (records.declared.len) buf_printf(&b, ",\"declared\":%s", records.declared.data);
  append_output(&b, c);
  buf_str(&b, "}");
  send_line(&b);
  buf_free(&b);
  buf_free(&records.steps);
  buf_free(&records.shared_objects);
  buf_free(&records.rss);
  buf_free(&records.heap);
  buf_free(&records.declared);
}

static void finish_child(Child* c, int status) {
  /* First whatever the module forked and left behind (it could keep the pipes busy),
   * then what the pipes still hold. */
  kill(-c->pid, SIGKILL);
  if (c->status_fd > 0) {
    /* Sandboxed: the zygote's child is the namespace's init; the probe's own wait
     * status comes from it. None when the init was killed (timeout). */
    int probe_status = 0;
    if (read(c->status_fd, &probe_status, sizeof probe_status) == (ssize_t)sizeof probe_status) status = probe_status;
    close(c->status_fd);
    c->status_fd = -1;
  }
  if (c->result_fd >= 0) drain_fd(c, &c->result_fd, false);
  if (c->output_fd >= 0) drain_fd(c, &c->output_fd, true);
  if (c->result_fd >= 0) close(c->result_fd);
  if (c->output_fd >= 0) close(c->output_fd);
  answer_child(c, status);
  if (c->workdir[0]) remove_tree(c->workdir);
  buf_free(&c->results);
  request_free(&c->request);
  c->used = false;
  zygote.running--;
}

static void reap_children(void) {
  char drain[64];
  while (read(zygote.sigchld_pipe[0], drain, sizeof drain) > 0) {
  }
  for (;;) {
    int status = 0;
    pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid <= 0) return;
    for (int i = 0; i < zygote.jobs; i++) {
      Child* c = &zygote.children[i];
      if (c->used && c->pid == pid) finish_child(c, status);
    }
  }
}

static void enforce_deadlines(void) {
  long long now = now_ms();
  for (int i = 0; i < zygote.jobs; i++) {
    Child* c = &zygote.children[i];
    if (c->used && !c->timed_out && now >= c->deadline_ms) {
      c->timed_out = true;
      kill(-c->pid, SIGKILL);
      kill(c->pid, SIGKILL); /* in case setpgid had not happened yet */
    }
  }
}

static int poll_timeout(void) {
  long long now = now_ms(), soonest = -1;
  for (int i = 0; i < zygote.jobs; i++) {
    const Child* c = &zygote.children[i];
    if (c->used && !c->timed_out && (soonest < 0 || c->deadline_ms < soonest)) soonest = c->deadline_ms;
  }
  if (soonest < 0) return -1;
  return soonest <= now ? 0 : (int)(soonest - now < INT_MAX ? soonest - now : INT_MAX);
}

static void zygote_loop(void) {
  struct pollfd fds[2 + 2 * MAX_JOBS];
  Child* owners[2 + 2 * MAX_JOBS];
  for (;;) {
    start_queued_children();
    if (zygote.input_eof && !zygote.queue_head && zygote.running == 0) return;
    nfds_t n = 0;
    fds[n] = (struct pollfd){.fd = zygote.sigchld_pipe[0], .events = POLLIN};
    owners[n++] = NULL;
    if (!zygote.input_eof) {
      fds[n] = (struct pollfd){.fd = zygote.protocol_in, .events = POLLIN};
      owners[n++] = NULL;
    }
    for (int i = 0; i < zygote.jobs; i++) {
      Child* c = &zygote.children[i];
      if (!c->used) continue;
      if (c->result_fd >= 0) {
        fds[n] = (struct pollfd){.fd = c->result_fd, .events = POLLIN};
        owners[n++] = c;
      }
      if (c->output_fd >= 0) {
        fds[n] = (struct pollfd){.fd = c->output_fd, .events = POLLIN};
        owners[n++] = c;
      }
    }
    int ready = poll(fds, n, poll_timeout());
    if (ready < 0 && errno != EINTR) {
      perror("probe_host: poll");
      _exit(4);
    }
    for (nfds_t i = 0; ready > 0 && i < n; i++) {
      if (!fds[i].revents || !owners[i]) continue;
      Child* c = owners[i];
      if (c->used && fds[i].fd == c->result_fd)
        drain_fd(c, &c->result_fd, false);
      else if (c->used && fds[i].fd == c->output_fd)
        drain_fd(c, &c->output_fd, true);
    }
    if (ready > 0 && !zygote.input_eof && fds[1].fd == zygote.protocol_in && fds[1].revents) read_requests();
    reap_children();
    enforce_deadlines();
  }
}

/* ------------------------------------------------------------------------------------ */
/* Start-up                                                                             */
/* ------------------------------------------------------------------------------------ */

/* Python as a user's `python` would be, minus what would hide or disturb a module's
 * behaviour: no environment (PYTHON_GIL, PYTHONPATH, ... are never consulted), no user
 * site, no site import (.pth files run code), no signal handlers, no bytecode writing,
 * unbuffered stdio (prints reach the pipe before a crash), faulthandler on (a crash prints
 * the Python traceback). On free-threaded builds enable_gil keeps its default. */
static bool init_python(const char* program) {
  PyPreConfig preconfig;
  PyPreConfig_InitPythonConfig(&preconfig);
  preconfig.use_environment = 0;
  PyStatus status = Py_PreInitialize(&preconfig);
  if (PyStatus_Exception(status)) goto fail;

  PyConfig config;
  PyConfig_InitPythonConfig(&config);
  config.use_environment = 0;
  config.user_site_directory = 0;
  config.site_import = 0;
  config.install_signal_handlers = 0;
  config.parse_argv = 0;
  config.buffered_stdio = 0;
  config.configure_c_stdio = 0;
  config.write_bytecode = 0;
  config.safe_path = 1;
  config.faulthandler = 1;
  config.pathconfig_warnings = 0;
  if (program) {
    /* getpath then finds this interpreter's prefix, and sys.executable is the real
     * python (a module that runs sys.executable must not run the host). */
    status = PyConfig_SetBytesString(&config, &config.program_name, program);
    if (PyStatus_Exception(status)) {
      PyConfig_Clear(&config);
      goto fail;
    }
  }
  status = Py_InitializeFromConfig(&config);
  PyConfig_Clear(&config);
  if (PyStatus_Exception(status)) goto fail;
  return true;
fail:
  fprintf(stderr, "probe_host: Python initialisation failed: %s%s%s\n", status.func ? status.func : "",
          status.func ? ": " : "", status.err_msg ? status.err_msg : "");
  return false;
}

/* The protocol uses private copies of fds 0 and 1; the standard fds become /dev/null
 * (stdin) and stderr (stdout), so nothing Python or a library prints in the zygote can
 * corrupt the protocol. */
static bool setup_protocol_fds(void) {
  zygote.protocol_in = fcntl(0, F_DUPFD_CLOEXEC, 3);
  zygote.protocol_out = fcntl(1, F_DUPFD_CLOEXEC, 3);
  int devnull = open("/dev/null", O_RDONLY);
  if (zygote.protocol_in < 0 || zygote.protocol_out < 0 || devnull < 0) return false;
  dup2(devnull, 0);
  close(devnull);
  dup2(2, 1);
  set_nonblocking(zygote.protocol_in);
  return true;
}

static bool setup_sigchld(void) {
  if (pipe2(zygote.sigchld_pipe, O_CLOEXEC | O_NONBLOCK) != 0) return false;
  struct sigaction action;
  memset(&action, 0, sizeof action);
  action.sa_handler = on_sigchld;
  action.sa_flags = SA_RESTART | SA_NOCLDSTOP;
  sigemptyset(&action.sa_mask);
  return sigaction(SIGCHLD, &action, NULL) == 0;
}

static void send_hello(void) {
  int gil = gil_enabled_here(main_support);
  Buf b = {0};
  buf_printf(&b, "{\"hello\":\"subcheck-probe-host\",\"protocol\":%d,\"version\":", PROTOCOL_VERSION);
  buf_json_string(&b, Py_GetVersion());
#ifdef Py_GIL_DISABLED
  buf_str(&b, ",\"free_threaded\":true");
#else
  buf_str(&b, ",\"free_threaded\":false");
#endif
  buf_printf(&b, ",\"gil_enabled\":%s,\"jobs\":%d,\"pid\":%ld",
             gil < 0 ? "null"
             : gil   ? "true"
                     : "false",
             zygote.jobs, (long)getpid());
  buf_str(&b, ",\"limits\":[\"RLIMIT_CPU=timeout+1s\",\"RLIMIT_AS=4GiB\",\"RLIMIT_FSIZE=64MiB\",\"RLIMIT_CORE=0\"]");
  append_sandbox_description(&b);
  buf_str(&b, "}");
  send_line(&b);
  buf_free(&b);
}

/* gc.freeze(): the zygote's objects move to the permanent generation, so collections in
 * a child never walk them, and never copy the pages they live on (copy-on-write). */
static bool freeze_heap(void) {
  PyObject* gc = PyImport_ImportModule("gc");
  PyObject* result = gc ? PyObject_CallMethod(gc, "freeze", NULL) : NULL;
  Py_XDECREF(gc);
  Py_XDECREF(result);
  return result != NULL;
}

static void usage(void) {
  fprintf(stderr,
          "usage: probe_host --zygote [--jobs N] [--python EXECUTABLE] [--scratch DIR] [--seccomp FILE] "
          "[--sandbox auto|none]\n");
}

int main(int argc, char** argv) {
  bool zygote_mode = false;
  const char *program = NULL, *seccomp_file = NULL, *sandbox_wanted = NULL;
  zygote.scratch = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--zygote") == 0)
      zygote_mode = true;
    else if (strcmp(argv[i], "--jobs") == 0 && i + 1 < argc)
      zygote.jobs = atoi(argv[++i]);
    else if (strcmp(argv[i], "--python") == 0 && i + 1 < argc)
      program = argv[++i];
    else if (strcmp(argv[i], "--scratch") == 0 && i + 1 < argc)
      zygote.scratch = argv[++i];
    else if (strcmp(argv[i], "--seccomp") == 0 && i + 1 < argc)
      seccomp_file = argv[++i];
    else if (strcmp(argv[i], "--sandbox") == 0 && i + 1 < argc)
      sandbox_wanted = argv[++i];
    else {
      usage();
      return 2;
    }
  }
  if (!zygote_mode) {
    usage();
    return 2;
  }
  if (zygote.jobs < 1) zygote.jobs = 1;
  if (zygote.jobs > MAX_JOBS) zygote.jobs = MAX_JOBS;
  signal(SIGPIPE, SIG_IGN);
  if (!setup_protocol_fds() || !setup_sigchld()) {
    perror("probe_host: setup");
    return 1;
  }
  if (!init_python(program)) return 1;
  /* `os`, as every python with `site` has it (the children set HOME through it), and
   * nothing of the probed package. */
  PyObject* os_module = PyImport_ImportModule("os");
  Py_XDECREF(os_module);
  if (!os_module || !compile_support() || !(main_support = load_support()) ||
      !(zygote_types = support_call(main_support, "existing_types", PyTuple_New(0))) || !freeze_heap()) {
    PyErr_Print();
    fprintf(stderr, "probe_host: cannot set up the probe support code\n");
    return 1;
  }
  collect_keep_paths(program);
  if (seccomp_file)
    load_seccomp_filter(seccomp_file);
  else
    snprintf(sandbox.filter_problem, sizeof sandbox.filter_problem, "no seccomp filter was given (--seccomp)");
  choose_sandbox(sandbox_wanted);
  send_hello();
  zygote_loop();
  _exit(0); /* every child answered; finalising Python would only cost time */
}
