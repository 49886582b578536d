# The Vagrant lab's machines and the Ansible inventory written for them, in one place: the
# Vagrantfile builds the VMs from NODES, and the same list becomes vagrant/inventory.yaml, which
# ansible-playbook (provisioning, playbooks/) and `etcd-dr drill -i` both read as it is.
#
#   ruby vagrant/nodes.rb [kubeadm|kubespray]   prints the inventory (what `vagrant up` writes)
require "yaml"

module EtcdDrLab
  NETWORK = ENV.fetch("ETCD_DR_NET", "192.168.56")
  FLAVOR = ENV.fetch("ETCD_DR_FLAVOR", "kubeadm")
  FLAVORS = %w[kubeadm kubespray].freeze
  # Where the lab key is on the operator box (the Vagrantfile puts it there).
  KEY_PATH = ENV.fetch("ETCD_DR_LAB_KEY_PATH", "/root/.ssh/etcd_dr_lab")

  # name => [role, last octet, memory MiB, cpus]
  NODES = {
    "cp-1" => [:control_plane, 11, 2560, 2],
    "cp-2" => [:control_plane, 12, 2560, 2],
    "cp-3" => [:control_plane, 13, 2560, 2],
    "worker-1" => [:worker, 21, 2048, 2],
    "operator" => [:operator, 10, 1536, 1],
  }.freeze

  def self.address(name)
    "#{NETWORK}.#{NODES.fetch(name)[1]}"
  end

  def self.names(role)
    NODES.select { |_, spec| spec[0] == role }.keys
  end

  # A Kubespray-shaped hosts.yaml (etcd, kube_control_plane, kube_node, k8s_cluster groups): Kubespray
  # and etcd-dr read it unchanged, and a kubeadm cluster uses the same groups. The operator box runs
  # Ansible and etcd-dr as root with the lab key Vagrant put there.
  def self.inventory(flavor = FLAVOR)
    raise ArgumentError, "ETCD_DR_FLAVOR must be one of #{FLAVORS.join(', ')}, not #{flavor}" unless FLAVORS.include?(flavor)

    machines = names(:control_plane) + names(:worker)
    hosts = machines.to_h { |n| [n, { "ansible_host" => address(n), "ip" => address(n), "access_ip" => address(n) }] }
    members = -> { names(:control_plane).to_h { |n| [n, nil] } } # a new hash each time: no YAML aliases
    {
      "all" => {
        "vars" => {
          "ansible_user" => "root",
          "ansible_ssh_private_key_file" => KEY_PATH,
          "etcd_dr_flavor" => flavor,
          "etcd_dr_cluster" => "vagrant",
          "etcd_deployment_type" => "host",
        },
        "hosts" => hosts,
        "children" => {
          "kube_control_plane" => { "hosts" => members.call },
          "etcd" => { "hosts" => members.call },
          "kube_node" => { "hosts" => names(:worker).to_h { |n| [n, nil] } },
          "k8s_cluster" => { "children" => { "kube_control_plane" => nil, "kube_node" => nil } },
        },
      },
    }
  end

  def self.inventory_yaml(flavor = FLAVOR)
    "# Written by the Vagrantfile (vagrant/nodes.rb); read by ansible-playbook and etcd-dr -i.\n" +
      inventory(flavor).to_yaml
  end
end

puts EtcdDrLab.inventory_yaml(ARGV[0] || EtcdDrLab::FLAVOR) if $PROGRAM_NAME == __FILE__
