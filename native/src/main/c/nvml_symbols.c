/*
 * Whether the running driver's NVML has a function, asked before the agent calls it: the NVML
 * binding resolves its functions lazily, so calling one that an older libnvidia-ml.so.1 lacks
 * ends the process with "symbol lookup error" instead of returning an error.
 */
#include "glibc_compat.h"

#include <dlfcn.h>
#include <jni.h>
#include <stddef.h>

#include "dev_preflight_nativelib_NvmlSymbols.h"

/* Opened once and kept: the agent asks about several functions per inventory. */
static void *nvml_handle(JNIEnv *env, jstring library)
{
    const char *name = (*env)->GetStringUTFChars(env, library, NULL);
    if (name == NULL) {
        return NULL; /* OutOfMemoryError pending */
    }
    /* RTLD_NOLOAD first: reuse the copy the NVML binding already mapped, if any. */
    void *handle = dlopen(name, RTLD_LAZY | RTLD_LOCAL | RTLD_NOLOAD);
    if (handle == NULL) {
        handle = dlopen(name, RTLD_LAZY | RTLD_LOCAL);
    }
    if (handle == NULL) {
        const char *why = dlerror();
        jclass error = (*env)->FindClass(env, "java/lang/UnsatisfiedLinkError");
        if (error != NULL) {
            (*env)->ThrowNew(env, error, why != NULL ? why : name);
        }
    }
    (*env)->ReleaseStringUTFChars(env, library, name);
    return handle;
}

JNIEXPORT jboolean JNICALL
Java_dev_preflight_nativelib_NvmlSymbols_has0(JNIEnv *env, jclass cls, jstring library, jstring symbol)
{
    (void)cls;
    void *handle = nvml_handle(env, library);
    if (handle == NULL) {
        return JNI_FALSE;
    }
    const char *name = (*env)->GetStringUTFChars(env, symbol, NULL);
    if (name == NULL) {
        dlclose(handle);
        return JNI_FALSE;
    }
    dlerror();
    void *address = dlsym(handle, name);
    (*env)->ReleaseStringUTFChars(env, symbol, name);
    dlclose(handle);
    return address != NULL ? JNI_TRUE : JNI_FALSE;
}
