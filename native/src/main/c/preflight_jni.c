/*
 * JNI entry points. Each is a few lines: convert arguments, call the engine, turn an error into
 * one Java exception that names the operation. Only Java_* symbols are exported
 * (-fvisibility=hidden; JNIEXPORT sets default visibility).
 */
#include "glibc_compat.h"

#include <jni.h>

#include "dev_preflight_nativelib_PreflightNative.h"

JNIEXPORT jstring JNICALL
Java_dev_preflight_nativelib_PreflightNative_version0(JNIEnv *env, jclass cls)
{
    (void)cls;
    return (*env)->NewStringUTF(env, PREFLIGHT_VERSION);
}
