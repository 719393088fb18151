package dev.preflight.agent.gpu;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import org.bytedeco.cuda.global.nvml;
import org.bytedeco.cuda.nvml.nvmlDevice_st;

/**
 * Run by {@link BytedecoNvmlFakeDriverTest} in a JVM of its own, whose dynamic loader finds the
 * fake libnvidia-ml.so.1 (LD_LIBRARY_PATH is read once, at process start). Arguments: the JavaCPP
 * cache directory, the file to write the inventory to (protobuf binary), and a mode: "inventory"
 * reads it, "misuse" also calls NVML wrongly and prints each answer as NAME=CODE. Last, it prints
 * every CUDA or NVML library mapped into the process as "mapped PATH".
 */
public final class FakeDriverNvmlMain {
    private FakeDriverNvmlMain() {}

    public static void main(String[] args) throws Exception {
        Path cache = Paths.get(args[0]);
        Path out = Paths.get(args[1]);
        dev.preflight.proto.v1.GpuInventory inventory = new NvmlInventory(new BytedecoNvml.Loader(cache)).read();
        Files.write(out, inventory.toByteArray());
        if (args[2].equals("misuse")) {
            int[] count = new int[1];
            System.out.println("afterShutdown=" + nvml.nvmlDeviceGetCount_v2(count));
            System.out.println("init=" + nvml.nvmlInit_v2());
            byte[] small = new byte[4];
            System.out.println("smallBuffer=" + nvml.nvmlSystemGetDriverVersion(small, small.length));
            byte[] name = new byte[96];
            System.out.println("nullHandle=" + nvml.nvmlDeviceGetName(new nvmlDevice_st(), name, name.length));
            System.out.println("shutdown=" + nvml.nvmlShutdown());
        }
        for (String line : Files.readAllLines(Paths.get("/proc/self/maps"))) {
            int path = line.indexOf('/');
            if (path >= 0 && line.matches(".*/lib(cudart|cuda|nvidia-ml|jnicudart)\\.so.*")) {
                System.out.println("mapped " + line.substring(path));
            }
        }
    }
}
