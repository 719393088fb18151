package dev.preflight.coordinator.discovery;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParseException;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The nodes that should have an agent, from the Kubernetes API: {@code GET /api/v1/nodes} with a
 * label selector, using the pod's service-account credentials (needs get/list on nodes, see
 * deploy/kubernetes/rbac.yaml). Nodes, not pods: a node with no agent pod at all is exactly the
 * one the headless Service cannot show.
 */
public final class KubernetesNodes {
    static final int PAGE_SIZE = 500;
    static final int MAX_PAGES = 200;

    private final KubernetesApi api;

    public KubernetesNodes(KubernetesApi api) {
        this.api = api;
    }

    /** Checks a selector's characters before it goes into a URL; the API server judges its grammar. */
    public static String validateSelector(String selector) {
        if (selector == null || selector.isBlank() || selector.length() > 1024
                || !selector.matches("[A-Za-z0-9._/=!,() -]+")) {
            throw new IllegalArgumentException("'" + selector + "' is not a label selector (e.g."
                    + " nvidia.com/gpu.present=true, or node-role.kubernetes.io/gpu)");
        }
        return selector;
    }

    /**
     * The names of the nodes matching the selector, every page of them.
     *
     * @throws IOException naming the HTTP status and the API server's message
     */
    public List<String> list(String selector) throws IOException, InterruptedException {
        List<String> names = new ArrayList<>();
        String continueToken = "";
        for (int page = 0; page < MAX_PAGES; page++) {
            String query = "labelSelector=" + URLEncoder.encode(validateSelector(selector), StandardCharsets.UTF_8)
                    + "&limit=" + PAGE_SIZE
                    + (continueToken.isEmpty() ? "" : "&continue=" + URLEncoder.encode(continueToken, StandardCharsets.UTF_8));
            KubernetesApi.Response response = api.get("/api/v1/nodes?" + query);
            if (response.status() != 200) {
                throw new IOException("listing nodes: HTTP " + response.status() + " " + response.message()
                        + (response.status() == 401 || response.status() == 403
                                ? "; the coordinator's service account needs get/list on nodes"
                                        + " (deploy/kubernetes/rbac.yaml)" : ""));
            }
            try {
                JsonObject list = JsonParser.parseString(response.body()).getAsJsonObject();
                for (JsonElement item : list.getAsJsonArray("items")) {
                    names.add(item.getAsJsonObject().getAsJsonObject("metadata").get("name").getAsString());
                }
                JsonObject metadata = list.getAsJsonObject("metadata");
                JsonElement next = metadata == null ? null : metadata.get("continue");
                continueToken = next == null || next.isJsonNull() ? "" : next.getAsString();
            } catch (JsonParseException | IllegalStateException | NullPointerException | ClassCastException e) {
                throw new IOException("listing nodes: the API server's answer is not a NodeList (" + e.getMessage() + ")");
            }
            if (continueToken.isEmpty()) {
                return names;
            }
        }
        throw new IOException("listing nodes: more than " + MAX_PAGES + " pages of " + PAGE_SIZE);
    }
}
