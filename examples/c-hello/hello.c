#include <stdio.h>
#include <sys/utsname.h>

int main(int argc, char** argv) {
  struct utsname u;
  uname(&u);
  printf("hello from a static C program, built by strata on %s (%s)\n", u.sysname, u.machine);
  for (int i = 1; i < argc; ++i) {
    printf("arg %d: %s\n", i, argv[i]);
  }
  return 0;
}
