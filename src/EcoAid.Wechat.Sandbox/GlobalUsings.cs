// The sandbox is one partial class split by WeChat API; every part uses these.
global using System.Collections.Concurrent;
global using System.Globalization;
global using System.Security.Cryptography;
global using System.Text;
global using System.Text.Json;
