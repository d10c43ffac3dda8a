Feature: Troubleshooting an appliance that does not get the settings
  An appliance that cannot reach the tenant keeps serving what its LocalStore holds. Its status
  and the tenant both show that it is behind; once it can reach the tenant again it catches up
  within one replication window.

  Scenario: A cut-off appliance stays stale and says so, then converges when healed
    Given the first appliance of the first site is cut off from the tenant
    When the tenant administrator enables media bypass with the planned service URL
    And the replication window passes
    Then every other Mediation Server's LocalStore shows Enabled True and AlwaysBypass True
    And the cut-off appliance's web service still rejects clients
    And the cut-off appliance reports that it cannot reach the tenant
    And the tenant shows the cut-off appliance behind the current configuration version
    When the link between the cut-off appliance and the tenant is healed
    And the replication window passes
    Then every Mediation Server's LocalStore shows Enabled True and AlwaysBypass True
    And the cut-off appliance reports that it reaches the tenant

  Scenario: A restarted appliance answers from its LocalStore at once
    Given media bypass has been enabled and has replicated
    When the first appliance of the first site is killed and started again
    Then that appliance's web service serves bypassEnabled true
    When the administrator runs on that appliance:
      """
      Get-CcApplianceStatus
      """
    Then the runbook succeeds
    And the output shows "WebServiceState" as "Serving"
