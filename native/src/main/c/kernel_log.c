/*
 * Reads the kernel log ring buffer from /dev/kmsg without blocking: a plain read blocks once it
 * has caught up with the newest record, and the JDK cannot open a file O_NONBLOCK.
 */
#include "glibc_compat.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <jni.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "dev_preflight_nativelib_KernelLog.h"

/* One record is at most 8 KiB (CONSOLE_EXT_LOG_MAX in the kernel). */
#define RECORD_MAX 8192

static void throw_io(JNIEnv *env, const char *path, int error)
{
    jclass cls = (*env)->FindClass(env, "java/io/IOException");
    if (cls != NULL) {
        char message[512];
        snprintf(message, sizeof message, "%s: %s", path, strerror(error));
        (*env)->ThrowNew(env, cls, message);
    }
}

JNIEXPORT jbyteArray JNICALL
Java_dev_preflight_nativelib_KernelLog_read0(JNIEnv *env, jclass cls, jstring device, jint max_bytes)
{
    (void)cls;
    const char *path = (*env)->GetStringUTFChars(env, device, NULL);
    if (path == NULL) {
        return NULL;
    }
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        throw_io(env, path, errno);
        (*env)->ReleaseStringUTFChars(env, device, path);
        return NULL;
    }
    char *buffer = malloc((size_t)max_bytes + RECORD_MAX);
    if (buffer == NULL) {
        close(fd);
        throw_io(env, path, ENOMEM);
        (*env)->ReleaseStringUTFChars(env, device, path);
        return NULL;
    }
    size_t used = 0;
    while (used < (size_t)max_bytes) {
        ssize_t n = read(fd, buffer + used, RECORD_MAX);
        if (n > 0) {
            used += (size_t)n;
        } else if (n < 0 && errno == EPIPE) {
            continue; /* the record was overwritten while we read: the next one follows */
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else {
            break; /* EAGAIN: caught up with the newest record; 0 or another error: stop */
        }
    }
    int saved = errno;
    close(fd);
    jbyteArray result = NULL;
    if (used == 0 && saved != EAGAIN && saved != 0) {
        throw_io(env, path, saved);
    } else {
        result = (*env)->NewByteArray(env, (jsize)used);
        if (result != NULL) {
            (*env)->SetByteArrayRegion(env, result, 0, (jsize)used, (const jbyte *)buffer);
        }
    }
    free(buffer);
    (*env)->ReleaseStringUTFChars(env, device, path);
    return result;
}
