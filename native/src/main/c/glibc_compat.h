/*
 * Pins the versions of the libc symbols this library uses to the oldest glibc it supports (2.17,
 * RHEL 7 / the first aarch64 glibc), so a library built on a new distribution still loads on
 * RHEL 8 or Ubuntu 20.04. Without this, linking against glibc >= 2.34 binds dlopen and friends to
 * their GLIBC_2.34 versions (they moved from libdl into libc). Include it first in every .c file;
 * NativeGlibcTest checks the result with objdump -T.
 */
#ifndef PREFLIGHT_GLIBC_COMPAT_H
#define PREFLIGHT_GLIBC_COMPAT_H

#if defined(__x86_64__)
#define PREFLIGHT_GLIBC_BASE "GLIBC_2.2.5"
#elif defined(__aarch64__)
#define PREFLIGHT_GLIBC_BASE "GLIBC_2.17"
#else
#error "preflight's native library supports x86_64 and aarch64"
#endif

#define PREFLIGHT_PIN(symbol) __asm__(".symver " #symbol "," #symbol "@" PREFLIGHT_GLIBC_BASE)

PREFLIGHT_PIN(dlopen);
PREFLIGHT_PIN(dlsym);
PREFLIGHT_PIN(dlerror);
PREFLIGHT_PIN(dlclose);
PREFLIGHT_PIN(dladdr);
PREFLIGHT_PIN(memcpy);
PREFLIGHT_PIN(memset);
PREFLIGHT_PIN(strlen);
PREFLIGHT_PIN(malloc);
PREFLIGHT_PIN(calloc);
PREFLIGHT_PIN(free);
PREFLIGHT_PIN(qsort);
PREFLIGHT_PIN(snprintf);
PREFLIGHT_PIN(vsnprintf);
PREFLIGHT_PIN(clock_gettime);
PREFLIGHT_PIN(nanosleep);
PREFLIGHT_PIN(sched_yield);
PREFLIGHT_PIN(dup);
PREFLIGHT_PIN(dup2);
PREFLIGHT_PIN(close);

#endif
