import { KubeConfig } from '@kubernetes/client-node';

/** Where to find the cluster: a kubeconfig file, the pod's in-cluster credentials, or the default lookup. */
export interface KubeConfigSource {
  readonly kubeconfig?: string;
  readonly inCluster?: boolean;
}

/**
 * Loads a KubeConfig: the given file, in-cluster credentials, or (neither given) $KUBECONFIG,
 * ~/.kube/config, then in-cluster, as kubectl does. Throws an Error saying what is missing.
 */
export function loadKubeConfig(source: KubeConfigSource = {}): KubeConfig {
  const kubeConfig = new KubeConfig();
  if (source.kubeconfig !== undefined) {
    kubeConfig.loadFromFile(source.kubeconfig);
  } else if (source.inCluster === true) {
    // client-node would build "https://undefined:undefined" outside a pod; say so instead.
    if (!process.env['KUBERNETES_SERVICE_HOST']) {
      throw new Error('in-cluster configuration needs KUBERNETES_SERVICE_HOST (not running in a pod?)');
    }
    kubeConfig.loadFromCluster();
  } else {
    kubeConfig.loadFromDefault();
  }
  if (!kubeConfig.getCurrentCluster()) throw new Error('no cluster in the Kubernetes configuration');
  return kubeConfig;
}
