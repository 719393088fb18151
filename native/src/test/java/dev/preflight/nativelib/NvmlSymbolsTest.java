package dev.preflight.nativelib;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class NvmlSymbolsTest {

    @Test
    void findsAFunctionALibraryExportsAndNotOneItLacks() {
        assertTrue(NvmlSymbols.has("libc.so.6", "malloc"));
        assertFalse(NvmlSymbols.has("libc.so.6", "nvmlDeviceGetGpuFabricInfoV"));
    }

    @Test
    void aLibraryThatCannotBeLoadedIsNamedInTheError() {
        UnsatisfiedLinkError error = assertThrows(UnsatisfiedLinkError.class,
                () -> NvmlSymbols.has("libpreflight-no-such-library.so.1", "nvmlInit_v2"));
        assertTrue(error.getMessage().contains("libpreflight-no-such-library.so.1"), error.getMessage());
    }

    @Test
    void namesThatAreNotIdentifiersAreRefusedBeforeReachingTheLinker() {
        assertThrows(IllegalArgumentException.class, () -> NvmlSymbols.has("libc.so.6", "malloc; rm"));
        assertThrows(IllegalArgumentException.class, () -> NvmlSymbols.has("libc.so.6\nx", "malloc"));
    }
}
