// PkiVault: the age v1 file format and encrypted PKI archives. No SSH, gRPC or CLI code lives here
// so that the format can be tested, and reused, on its own.
namespace PkiVault;
