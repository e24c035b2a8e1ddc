// Command msk-local-provisioner provisions PersistentVolumeClaims of the CI cluster's default StorageClass
// dynamically, with the Kubernetes SIG Storage provisioner library (the controller that external provisioners
// such as rancher's local-path-provisioner are built on). It runs as a process on the node (up.sh starts it with a
// kubeconfig): for each claim it creates a directory under --root and a `local` PersistentVolume pinned to the
// node. The kubelet applies the pod's fsGroup to `local` volumes (it does not for `hostPath`), so non-root pods
// with an fsGroup can write to their claim, as on a cloud disk. Deleting a claim (reclaim policy Delete) removes
// the directory.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	v1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/klog/v2"
	"sigs.k8s.io/sig-storage-lib-external-provisioner/v11/controller"
)

type localProvisioner struct {
	root string // directory holding one sub-directory per volume
	node string // the node the volumes live on
}

func (p *localProvisioner) Provision(_ context.Context, options controller.ProvisionOptions) (*v1.PersistentVolume, controller.ProvisioningState, error) {
	if options.PVC.Spec.Selector != nil {
		return nil, controller.ProvisioningFinished, errors.New("claims with a selector are not supported")
	}
	for _, mode := range options.PVC.Spec.AccessModes {
		if mode != v1.ReadWriteOnce && mode != v1.ReadWriteOncePod {
			return nil, controller.ProvisioningFinished, fmt.Errorf("access mode %s is not supported (a node-local directory)", mode)
		}
	}
	node := p.node
	if options.SelectedNode != nil {
		node = options.SelectedNode.Name
	}
	if node != p.node {
		return nil, controller.ProvisioningReschedule, fmt.Errorf("node %q is not this provisioner's node %q", node, p.node)
	}
	path := filepath.Join(p.root, options.PVName)
	// Owned by root and not world-writable, like a fresh disk: the pod's fsGroup makes it writable.
	if err := os.MkdirAll(path, 0o755); err != nil {
		return nil, controller.ProvisioningFinished, err
	}
	reclaim := v1.PersistentVolumeReclaimDelete
	if options.StorageClass.ReclaimPolicy != nil {
		reclaim = *options.StorageClass.ReclaimPolicy
	}
	filesystem := v1.PersistentVolumeFilesystem
	pv := &v1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name:        options.PVName,
			Annotations: map[string]string{"msk.local/path": path},
		},
		Spec: v1.PersistentVolumeSpec{
			PersistentVolumeReclaimPolicy: reclaim,
			AccessModes:                   options.PVC.Spec.AccessModes,
			Capacity:                      v1.ResourceList{v1.ResourceStorage: options.PVC.Spec.Resources.Requests[v1.ResourceStorage]},
			VolumeMode:                    &filesystem,
			MountOptions:                  options.StorageClass.MountOptions,
			PersistentVolumeSource:        v1.PersistentVolumeSource{Local: &v1.LocalVolumeSource{Path: path}},
			NodeAffinity: &v1.VolumeNodeAffinity{Required: &v1.NodeSelector{NodeSelectorTerms: []v1.NodeSelectorTerm{{
				MatchExpressions: []v1.NodeSelectorRequirement{{Key: v1.LabelHostname, Operator: v1.NodeSelectorOpIn, Values: []string{node}}},
			}}}},
		},
	}
	klog.InfoS("provisioned", "pv", pv.Name, "claim", klog.KObj(options.PVC), "path", path)
	return pv, controller.ProvisioningFinished, nil
}

func (p *localProvisioner) Delete(_ context.Context, pv *v1.PersistentVolume) error {
	if pv.Spec.Local == nil {
		return &controller.IgnoredError{Reason: "not a local volume"}
	}
	path := filepath.Clean(pv.Spec.Local.Path)
	// Only ever delete a direct child of our own root.
	if filepath.Dir(path) != filepath.Clean(p.root) || strings.HasPrefix(filepath.Base(path), ".") {
		return &controller.IgnoredError{Reason: fmt.Sprintf("path %s is not under %s", path, p.root)}
	}
	if err := os.RemoveAll(path); err != nil {
		return err
	}
	klog.InfoS("deleted", "pv", pv.Name, "path", path)
	return nil
}

func main() {
	klog.InitFlags(nil)
	kubeconfig := flag.String("kubeconfig", "", "kubeconfig of the provisioner's identity")
	name := flag.String("provisioner-name", "msk.local/node-directory", "the StorageClass provisioner this serves")
	root := flag.String("root", "/var/lib/msk-local-volumes", "directory for the volumes")
	node := flag.String("node-name", "", "the node the volumes live on")
	flag.Parse()
	if *kubeconfig == "" || *node == "" {
		klog.Exit("--kubeconfig and --node-name are required")
	}
	if err := os.MkdirAll(*root, 0o755); err != nil {
		klog.Exit(err)
	}
	config, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		klog.Exit(err)
	}
	client, err := kubernetes.NewForConfig(config)
	if err != nil {
		klog.Exit(err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer stop()
	provisioner := &localProvisioner{root: *root, node: *node}
	pc := controller.NewProvisionController(ctx, client, *name, provisioner,
		controller.LeaderElection(false), controller.MetricsPort(0))
	klog.InfoS("serving", "provisioner", *name, "root", *root, "node", *node)
	pc.Run(ctx)
}
