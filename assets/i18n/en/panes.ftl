# The four lab panes: eavesdropper (wire), TLS, client, server.
