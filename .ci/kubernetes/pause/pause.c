/*
 * The pod sandbox ("pause") process of the CI cluster, our own equivalent of kubernetes/build/pause/linux/pause.c:
 * it holds the pod's namespaces open, reaps zombies when it is PID 1 of a shared PID namespace, and exits
 * cleanly on SIGINT/SIGTERM. build.sh compiles it with `gcc -static` and packages it as an image (no registry
 * is reachable, so the upstream registry.k8s.io/pause image cannot be pulled).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define VERSION "msk-pause-1"

static void on_stop(int signo) {
  (void)signo;
  _exit(0);
}

static void on_child(int signo) {
  (void)signo;
  while (waitpid(-1, NULL, WNOHANG) > 0) {
  }
}

int main(int argc, char **argv) {
  if (argc > 1 && (strcmp(argv[1], "-v") == 0 || strcmp(argv[1], "--version") == 0)) {
    printf("pause.c %s\n", VERSION);
    return 0;
  }
  if (getpid() != 1) {
    fprintf(stderr, "Warning: pause should be the first process\n");
  }
  struct sigaction stop = {.sa_handler = on_stop};
  if (sigaction(SIGINT, &stop, NULL) < 0 || sigaction(SIGTERM, &stop, NULL) < 0) {
    perror("sigaction");
    return 1;
  }
  struct sigaction child = {.sa_handler = on_child, .sa_flags = SA_NOCLDSTOP};
  if (sigaction(SIGCHLD, &child, NULL) < 0) {
    perror("sigaction");
    return 2;
  }
  for (;;) {
    pause();
  }
  fprintf(stderr, "Error: infinite loop terminated\n");
  return 42;
}
