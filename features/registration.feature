Feature: Registering Cloud Connector appliances with the tenant
  An appliance takes calls only while it is registered with the tenant. Unregister-CcAppliance and
  Register-CcAppliance run on the appliance itself; registering twice is refused.

  Scenario: An appliance unregistered and registered again
    Given media bypass has been enabled and has replicated
    And a user "alice" is signed in at the first site
    When the administrator unregisters the first appliance on it
    Then the tenant shows that appliance as not registered
    When "alice" places 10 PSTN calls
    Then no call went through that appliance
    When the administrator registers that appliance on it
    Then the runbook succeeds
    And the tenant shows that appliance as registered
    When the administrator registers that appliance on it
    Then the runbook fails at line 1 mentioning "is already registered"
