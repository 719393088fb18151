/*
 * JNI entry points of dev.preflight.nativelib.NcclBench: convert arguments, call the engine
 * (pf_lib.c, pf_bench.c), turn a failure into one BenchException naming the call.
 */
#include "glibc_compat.h"

#include <jni.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dev_preflight_nativelib_NcclBench.h"
#include "pf_bench.h"

static void throw_bench(JNIEnv *env, int kind, const char *call, const char *message)
{
    jclass cls = (*env)->FindClass(env, "dev/preflight/nativelib/BenchException");
    if (cls == NULL) {
        return;
    }
    jmethodID init = (*env)->GetMethodID(env, cls, "<init>", "(ILjava/lang/String;Ljava/lang/String;)V");
    if (init == NULL) {
        return;
    }
    jstring jcall = (*env)->NewStringUTF(env, call);
    if (jcall == NULL) {
        return;
    }
    jstring jmessage = (*env)->NewStringUTF(env, message);
    if (jmessage == NULL) {
        return;
    }
    jobject error = (*env)->NewObject(env, cls, init, (jint)kind, jcall, jmessage);
    if (error != NULL) {
        (*env)->Throw(env, (jthrowable)error);
    }
}

static void throw_status(JNIEnv *env, const pf_status *st)
{
    throw_bench(env, st->kind, st->call, st->message);
}

static pf_lib *lib_of(jlong handle)
{
    return (pf_lib *)(intptr_t)handle;
}

/* A Java string as a malloc'd C string (NULL for null); *failed when an exception is pending. */
static char *c_string(JNIEnv *env, jstring value, int *failed)
{
    *failed = 0;
    if (value == NULL) {
        return NULL;
    }
    const char *chars = (*env)->GetStringUTFChars(env, value, NULL);
    if (chars == NULL) {
        *failed = 1;
        return NULL;
    }
    size_t length = strlen(chars);
    char *copy = malloc(length + 1);
    if (copy != NULL) {
        memcpy(copy, chars, length + 1);
    }
    (*env)->ReleaseStringUTFChars(env, value, chars);
    if (copy == NULL) {
        throw_bench(env, PF_ERROR, "malloc", "no host memory for a library path");
        *failed = 1;
    }
    return copy;
}

JNIEXPORT jlong JNICALL
Java_dev_preflight_nativelib_NcclBench_open0(JNIEnv *env, jclass cls, jstring cudart, jstring nccl)
{
    (void)cls;
    int failed;
    char *cudart_path = c_string(env, cudart, &failed);
    if (failed) {
        return 0;
    }
    char *nccl_path = c_string(env, nccl, &failed);
    if (failed) {
        free(cudart_path);
        return 0;
    }
    pf_lib *lib = calloc(1, sizeof(*lib));
    char err[1536];
    int rc = lib == NULL ? -1 : pf_lib_open(lib, cudart_path, nccl_path, err, sizeof(err));
    free(cudart_path);
    free(nccl_path);
    if (lib == NULL) {
        throw_bench(env, PF_ERROR, "malloc", "no host memory for the library table");
        return 0;
    }
    if (rc != 0) {
        free(lib);
        throw_bench(env, PF_ERROR, "dlopen", err);
        return 0;
    }
    return (jlong)(intptr_t)lib;
}

JNIEXPORT jintArray JNICALL
Java_dev_preflight_nativelib_NcclBench_versions0(JNIEnv *env, jclass cls, jlong handle)
{
    (void)cls;
    const pf_lib *lib = lib_of(handle);
    jint values[3] = {lib->runtime_version, lib->driver_version, lib->nccl_version};
    jintArray out = (*env)->NewIntArray(env, 3);
    if (out != NULL) {
        (*env)->SetIntArrayRegion(env, out, 0, 3, values);
    }
    return out;
}

JNIEXPORT jobjectArray JNICALL
Java_dev_preflight_nativelib_NcclBench_paths0(JNIEnv *env, jclass cls, jlong handle)
{
    (void)cls;
    const pf_lib *lib = lib_of(handle);
    jclass string = (*env)->FindClass(env, "java/lang/String");
    if (string == NULL) {
        return NULL;
    }
    jobjectArray out = (*env)->NewObjectArray(env, 2, string, NULL);
    if (out == NULL) {
        return NULL;
    }
    const char *paths[2] = {lib->cudart_path, lib->nccl_path};
    for (int i = 0; i < 2; i++) {
        jstring value = (*env)->NewStringUTF(env, paths[i]);
        if (value == NULL) {
            return NULL;
        }
        (*env)->SetObjectArrayElement(env, out, i, value);
        (*env)->DeleteLocalRef(env, value);
    }
    return out;
}

JNIEXPORT jstring JNICALL
Java_dev_preflight_nativelib_NcclBench_device0(JNIEnv *env, jclass cls, jlong handle, jint device, jlongArray memory)
{
    (void)cls;
    pf_device info;
    pf_status st;
    memset(&st, 0, sizeof(st));
    if (pf_device_info(lib_of(handle), device, &info, &st) != 0) {
        throw_status(env, &st);
        return NULL;
    }
    jlong values[3] = {info.device_count, (jlong)info.free_bytes, (jlong)info.total_bytes};
    (*env)->SetLongArrayRegion(env, memory, 0, 3, values);
    if ((*env)->ExceptionCheck(env)) {
        return NULL;
    }
    return (*env)->NewStringUTF(env, info.pci_bus_id);
}

JNIEXPORT jbyteArray JNICALL
Java_dev_preflight_nativelib_NcclBench_uniqueId0(JNIEnv *env, jclass cls, jlong handle)
{
    (void)cls;
    unsigned char id[PF_NCCL_UNIQUE_ID_BYTES];
    pf_status st;
    memset(&st, 0, sizeof(st));
    if (pf_unique_id(lib_of(handle), id, &st) != 0) {
        throw_status(env, &st);
        return NULL;
    }
    jbyteArray out = (*env)->NewByteArray(env, PF_NCCL_UNIQUE_ID_BYTES);
    if (out != NULL) {
        (*env)->SetByteArrayRegion(env, out, 0, PF_NCCL_UNIQUE_ID_BYTES, (const jbyte *)id);
    }
    return out;
}

JNIEXPORT jlong JNICALL
Java_dev_preflight_nativelib_NcclBench_initComm0(JNIEnv *env, jclass cls, jlong handle, jint device, jbyteArray id,
                                                 jint nranks, jint rank, jlong timeout_ns)
{
    (void)cls;
    unsigned char unique[PF_NCCL_UNIQUE_ID_BYTES];
    (*env)->GetByteArrayRegion(env, id, 0, PF_NCCL_UNIQUE_ID_BYTES, (jbyte *)unique);
    if ((*env)->ExceptionCheck(env)) {
        return 0;
    }
    pf_comm *comm = NULL;
    pf_status st;
    if (pf_comm_init(lib_of(handle), device, unique, nranks, rank, timeout_ns, &comm, &st) != 0) {
        throw_status(env, &st);
        return 0;
    }
    return (jlong)(intptr_t)comm;
}

JNIEXPORT jboolean JNICALL
Java_dev_preflight_nativelib_NcclBench_run0(JNIEnv *env, jclass cls, jlong comm, jintArray ints, jlongArray longs,
                                            jdoubleArray results, jdoubleArray iterations)
{
    (void)cls;
    jint i[10];
    jlong l[5];
    (*env)->GetIntArrayRegion(env, ints, 0, 10, i);
    if ((*env)->ExceptionCheck(env)) {
        return JNI_FALSE;
    }
    (*env)->GetLongArrayRegion(env, longs, 0, 5, l);
    if ((*env)->ExceptionCheck(env)) {
        return JNI_FALSE;
    }
    pf_run_params p = {
        .op = i[0],
        .dtype = i[1],
        .iters = i[2],
        .warmup_iters = i[3],
        .graph_launches = i[4],
        .per_iteration = i[5],
        .send_peer = i[6],
        .recv_peer = i[7],
        .validate = i[8],
        .seed = (unsigned int)i[9],
        .count = (size_t)l[0],
        .send_capacity = (size_t)l[1],
        .recv_capacity = (size_t)l[2],
        .validate_max_bytes = (size_t)l[3],
        .timeout_ns = l[4],
    };
    /* the engine runs for as long as the collective takes: no JVM array may stay pinned meanwhile */
    jsize iteration_count = 0;
    if (iterations != NULL && p.per_iteration && p.iters > 0) {
        iteration_count = 2 * p.iters;
        p.iteration_s = malloc((size_t)iteration_count * sizeof(double));
        if (p.iteration_s == NULL) {
            throw_bench(env, PF_ERROR, "malloc", "no host memory for the per-iteration times");
            return JNI_FALSE;
        }
    }
    pf_run_result r;
    pf_status st;
    if (pf_comm_run((pf_comm *)(intptr_t)comm, &p, &r, &st) != 0) {
        free(p.iteration_s);
        throw_status(env, &st);
        return JNI_FALSE;
    }
    if (p.iteration_s != NULL) {
        (*env)->SetDoubleArrayRegion(env, iterations, 0, iteration_count, p.iteration_s);
        free(p.iteration_s);
        if ((*env)->ExceptionCheck(env)) {
            return JNI_FALSE;
        }
    }
    jdouble out[10] = {
        r.out_of_place.time_s, r.out_of_place.wrong, r.out_of_place.p50_s, r.out_of_place.p99_s,
        r.in_place.time_s, r.in_place.wrong, r.in_place.p50_s, r.in_place.p99_s,
        r.out_of_place.own_wrong, r.in_place.own_wrong,
    };
    (*env)->SetDoubleArrayRegion(env, results, 0, 10, out);
    return r.sampled ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT void JNICALL
Java_dev_preflight_nativelib_NcclBench_destroyComm0(JNIEnv *env, jclass cls, jlong comm, jlong timeout_ns)
{
    (void)env;
    (void)cls;
    pf_comm_destroy((pf_comm *)(intptr_t)comm, timeout_ns);
}

JNIEXPORT void JNICALL
Java_dev_preflight_nativelib_NcclBench_requestAbort0(JNIEnv *env, jclass cls)
{
    (void)env;
    (void)cls;
    pf_request_abort();
}

JNIEXPORT void JNICALL
Java_dev_preflight_nativelib_NcclBench_clearAbort0(JNIEnv *env, jclass cls)
{
    (void)env;
    (void)cls;
    pf_clear_abort();
}

JNIEXPORT void JNICALL
Java_dev_preflight_nativelib_NcclBench_close0(JNIEnv *env, jclass cls, jlong handle)
{
    (void)env;
    (void)cls;
    free(lib_of(handle));
}
