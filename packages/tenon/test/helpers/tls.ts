// A self-signed certificate for 127.0.0.1 and localhost, valid until 2126,
// made for these tests alone (openssl req -x509, P-256). Its key protects
// nothing: it is public here, and no client trusts it unless a test says so.
export const TEST_TLS_CERT = `-----BEGIN CERTIFICATE-----
MIIBnTCCAUOgAwIBAgIUGb6+I/Ezx2AeCx9IblJohgzJmrAwCgYIKoZIzj0EAwIw
FTETMBEGA1UEAwwKdGVub24tdGVzdDAgFw0yNjExMjUwMDIxMThaGA8yMTI2MTEw
MTAwMjExOFowFTETMBEGA1UEAwwKdGVub24tdGVzdDBZMBMGByqGSM49AgEGCCqG
SM49AwEHA0IABKIoZQqyHhVIORiHoD+JYi7TLq3d52zNjNXr9zmjh+8pv9etP7xh
XJGdpiq6keFsuBWamxG9TG7bqo2/4raqJh2jbzBtMB0GA1UdDgQWBBR4PBHSm+ZW
nSyMrS+Nbi4r7klOXDAfBgNVHSMEGDAWgBR4PBHSm+ZWnSyMrS+Nbi4r7klOXDAP
BgNVHRMBAf8EBTADAQH/MBoGA1UdEQQTMBGHBH8AAAGCCWxvY2FsaG9zdDAKBggq
hkjOPQQDAgNIADBFAiByQ7W6RwkV8rOoUihAbTnUMN92ykSwhq//Abf8WtczBgIh
AIrKio2Y/BG3bOGlU3WoI1mvOyUePWdh/GNR1TUXQpk/
-----END CERTIFICATE-----
`;

export const TEST_TLS_KEY = `-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQguljD0JUcIu3kkz3P
z2VViH48d/RiIS/IPfqLazStvNahRANCAASiKGUKsh4VSDkYh6A/iWIu0y6t3eds
zYzV6/c5o4fvKb/XrT+8YVyRnaYqupHhbLgVmpsRvUxu26qNv+K2qiYd
-----END PRIVATE KEY-----
`;
