package dev.preflight.coordinator.discovery;

import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeList;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * The nodes that should have an agent, from the Kubernetes API: the nodes matching a label
 * selector, a page at a time (needs get/list on nodes, see deploy/kubernetes/rbac.yaml). Nodes,
 * not pods: a node with no agent pod at all is exactly the one the headless Service cannot show.
 */
public final class KubernetesNodes {
    static final int PAGE_SIZE = 500;
    static final int MAX_PAGES = 200;

    private final KubernetesClient client;

    public KubernetesNodes(KubernetesClient client) {
        this.client = client;
    }

    /** Checks a selector's characters before it goes to the API server, which judges its grammar. */
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
    public List<String> list(String selector) throws IOException {
        validateSelector(selector);
        List<String> names = new ArrayList<>();
        String continueToken = null;
        for (int page = 0; page < MAX_PAGES; page++) {
            NodeList list;
            try {
                list = client.nodes().list(new ListOptionsBuilder().withLabelSelector(selector)
                        .withLimit((long) PAGE_SIZE).withContinue(continueToken).build());
            } catch (KubernetesClientException e) {
                throw new IOException("listing nodes: " + KubernetesApi.describe(e) + (KubernetesApi.denied(e)
                        ? "; the coordinator's service account needs get/list on nodes (deploy/kubernetes/rbac.yaml)" : ""));
            }
            for (Node node : list.getItems()) {
                names.add(node.getMetadata().getName());
            }
            continueToken = list.getMetadata() == null ? null : list.getMetadata().getContinue();
            if (continueToken == null || continueToken.isEmpty()) {
                return names;
            }
        }
        throw new IOException("listing nodes: more than " + MAX_PAGES + " pages of " + PAGE_SIZE);
    }
}
