package dev.preflight.agent.check;

import java.nio.file.Path;

/**
 * Where host-scoped facts come from. In a DaemonSet the host's /proc is mounted into the pod and
 * {@code --host-views} is given: the host's network namespace and defaults are PID 1's
 * (&lt;procfs&gt;/1/net, &lt;procfs&gt;/1/limits), not the agent's own pod's.
 */
public final class HostViews {
    private HostViews() {}

    /** A file of the judged network namespace: &lt;procfs&gt;/1/net/FILE with host views, else self/net/FILE. */
    public static Path procNet(CheckContext context, String file) {
        return context.fs().proc(process(context) + "/net/" + file);
    }

    /** "1" (the host's init) with host views, else "self". */
    public static String process(CheckContext context) {
        return context.settings().hostViews() ? "1" : "self";
    }
}
