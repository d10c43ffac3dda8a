# Check what a Mediation Server has replicated (run with `bypass-lab run --on APPLIANCE`): its
# LocalStore copy of the network configuration, and its own view of replication.
Get-CsNetworkConfiguration -LocalStore
Get-CcApplianceStatus
