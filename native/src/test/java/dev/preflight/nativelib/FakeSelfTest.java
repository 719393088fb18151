package dev.preflight.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The fake is only worth passing if it is as strict as NCCL: its self-test calls it the wrong way
 * (bad ncclConfig_t, reused id, work before init or before polling, host pointers, unbalanced
 * groups, abort with another thread inside NCCL, leaks) and expects NCCL's error codes; and it
 * bootstraps on the interface NCCL would pick (NCCL_SOCKET_IFNAME's rules, loopback last).
 */
class FakeSelfTest {
    @Test
    void fakeRejectsWhatNcclRejectsWithNcclsErrorCodes() throws Exception {
        Process process = new ProcessBuilder(FakeLibraries.file("fake_selftest").toString())
                .redirectErrorStream(true)
                .start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(process.waitFor(60, TimeUnit.SECONDS), output);
        assertEquals(0, process.exitValue(), output);
        for (String check : new String[] {"config_magic_checked", "config_version_checked", "second_use_of_id",
            "work_before_init_completes", "work_before_polling", "host_pointer_rejected", "group_end_without_start",
            "abort_while_another_thread_in_nccl", "leaked_communicator_reported", "leaked_allocation_reported",
            "query_while_capturing", "all_reduce_result", "ifname_exact_lo", "ifname_prefix_lo",
            "default_skips_loopback"}) {
            assertTrue(output.contains("ok " + check + "\n"), check + " missing from:\n" + output);
        }
    }
}
