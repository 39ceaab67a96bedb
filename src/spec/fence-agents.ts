/**
 * Fence agents a spec may name: those of fence-agents 4.x (Debian 12, RHEL 8/9) plus
 * fence_xvm from fence-virt. An unknown name is almost always a typo, and pcs would only
 * notice on the node, late in an apply.
 */
export const knownFenceAgents: readonly string[] = (
  "fence_ack_manual fence_aliyun fence_alom fence_amt fence_apc fence_apc_snmp fence_aws fence_azure_arm " +
  "fence_bladecenter fence_brocade fence_cdu fence_cisco_mds fence_cisco_ucs fence_compute fence_crosslink " +
  "fence_cyberpower_ssh fence_docker fence_drac fence_drac5 fence_dummy fence_eaton_snmp fence_ecloud " +
  "fence_emerson fence_eps fence_evacuate fence_gce fence_hds_cb fence_heuristics_ping fence_hpblade " +
  "fence_ibm_powervs fence_ibm_vpc fence_ibmblade fence_ibmz fence_idrac fence_ifmib fence_ilo fence_ilo2 " +
  "fence_ilo3 fence_ilo3_ssh fence_ilo4 fence_ilo4_ssh fence_ilo5 fence_ilo5_ssh fence_ilo_moonshot " +
  "fence_ilo_mp fence_ilo_ssh fence_imm fence_intelmodular fence_ipdu fence_ipmilan fence_ipmilanplus " +
  "fence_ironic fence_kdump fence_kubevirt fence_ldom fence_legacy fence_lindypdu fence_lpar fence_mpath " +
  "fence_netio fence_openstack fence_ovh fence_powerman fence_pve fence_raritan fence_raritan_px3 " +
  "fence_rcd_serial fence_redfish fence_rhevm fence_rsa fence_rsb fence_sanbox2 fence_sbd fence_scsi " +
  "fence_skalar fence_tripplite_snmp fence_vbox fence_virsh fence_vmware fence_vmware_rest fence_vmware_soap " +
  "fence_vmware_vcloud fence_watchdog fence_wti fence_xenapi fence_xvm fence_zvmip"
).split(" ");

/** Options whose value may come from a secret: the agent reads it through `<option>_script`. */
export const secretCapableFenceOptions: readonly string[] = ["password"];
