package dev.preflight.nativelib;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.preflight.proto.ToolVersion;
import org.junit.jupiter.api.Test;

class PreflightNativeTest {

    @Test
    void libraryBuiltByThisBuildLoadsFromTheJarResourcesAndReportsTheToolVersion() {
        assertEquals(ToolVersion.get(), PreflightNative.version());
    }

    @Test
    void libraryIsPackagedUnderThePlatformDirectory() {
        assertTrue(NativeLibrary.class.getResource(NativeLibrary.platform() + "/libpreflight.so") != null,
                "libpreflight.so missing for " + NativeLibrary.platform());
    }
}
