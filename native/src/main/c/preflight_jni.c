/*
 * JNI entry points. Each is a few lines: convert arguments, call the engine, turn an error into
 * one Java exception that names the operation. Only Java_* symbols are exported
 * (-fvisibility=hidden; JNIEXPORT sets default visibility).
 */
#include "glibc_compat.h"

#include <errno.h>
#include <jni.h>
#include <unistd.h>

#include "dev_preflight_nativelib_PreflightNative.h"

JNIEXPORT jstring JNICALL
Java_dev_preflight_nativelib_PreflightNative_version0(JNIEnv *env, jclass cls)
{
    (void)cls;
    return (*env)->NewStringUTF(env, PREFLIGHT_VERSION);
}

/*
 * Moves the process's stdout aside for a private protocol channel: fd 1 becomes a copy of stderr,
 * so anything a vendor library prints lands in the log, never in the channel. Returns the new
 * descriptor of the original stdout, or -errno.
 */
JNIEXPORT jint JNICALL
Java_dev_preflight_nativelib_PreflightNative_detachStdout0(JNIEnv *env, jclass cls)
{
    (void)env;
    (void)cls;
    int channel = dup(1);
    if (channel < 0) {
        return -errno;
    }
    if (dup2(2, 1) < 0) {
        int error = errno;
        close(channel);
        return -error;
    }
    return channel;
}
