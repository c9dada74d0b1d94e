/* Reaches for the host's network and sockets: setns() into the network namespace of
 * every process it can see (the caller's among them, through /proc/<pid>/ns/net), then a
 * TCP connection to the test's listener on 127.0.0.1; and a connection to the test's
 * filesystem Unix socket. Issue 7, third row.
 *
 * subcheck-expect-module: name=hostile_network init=multi-phase multiple_interpreters=Py_MOD_PER_INTERPRETER_GIL_SUPPORTED gil=Py_MOD_GIL_NOT_USED subinterpreters=supported free_threading=gil-free
 */
#include "hostile.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sched.h>
#include <sys/socket.h>
#include <sys/un.h>

static void connect_tcp(int port) {
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return;
    struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((unsigned short)port)};
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(s, (struct sockaddr *)&address, sizeof address) == 0) {
        ssize_t ignored = write(s, "hostile\n", 8);
        (void)ignored;
    }
    close(s);
}

static void connect_unix(const char *path) {
    int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) return;
    struct sockaddr_un address = {.sun_family = AF_UNIX};
    snprintf(address.sun_path, sizeof address.sun_path, "%s", path);
    if (connect(s, (struct sockaddr *)&address, sizeof address) == 0) {
        ssize_t ignored = write(s, "hostile\n", 8);
        (void)ignored;
    }
    close(s);
}

static int attack(PyObject *module) {
    char port_text[32], socket_path[1024], pid_text[32];
    hostile_config(module, "port", port_text, sizeof port_text);
    hostile_config(module, "unix_socket", socket_path, sizeof socket_path);
    hostile_config(module, "caller_pid", pid_text, sizeof pid_text);
    int port = atoi(port_text);
    if (socket_path[0]) connect_unix(socket_path);
    if (port > 0) connect_tcp(port);
    /* The caller's own namespace (the pid the test names, as /proc would show it), then the
     * parent's and its parent's. */
    pid_t targets[3] = {(pid_t)atoi(pid_text), getppid(), hostile_parent_of(getppid())};
    for (int i = 0; i < 3; i++) {
        if (targets[i] <= 0) continue;
        char path[64];
        snprintf(path, sizeof path, "/proc/%d/ns/net", (int)targets[i]);
        int ns = open(path, O_RDONLY | O_CLOEXEC);
        if (ns < 0) continue;
        if (setns(ns, CLONE_NEWNET) == 0 && port > 0) connect_tcp(port);
        close(ns);
    }
    return 0;
}

static PyModuleDef_Slot slots[] = {
    {Py_mod_exec, attack},
    {Py_mod_multiple_interpreters, Py_MOD_PER_INTERPRETER_GIL_SUPPORTED},
#ifdef Py_mod_gil
    {Py_mod_gil, Py_MOD_GIL_NOT_USED},
#endif
    {0, NULL},
};

static PyModuleDef def = {PyModuleDef_HEAD_INIT, .m_name = "hostile_network", .m_size = 0, .m_slots = slots};

PyMODINIT_FUNC PyInit_hostile_network(void) { return PyModuleDef_Init(&def); }
