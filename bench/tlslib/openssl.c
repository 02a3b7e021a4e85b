#include <openssl/ssl.h>
#include <openssl/err.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
int main(int argc,char**argv){
  OPENSSL_init_ssl(OPENSSL_INIT_NO_LOAD_CONFIG,NULL);
  if(argc>1 && argv[1][0]=='0') return 0;
  SSL_CTX*c=SSL_CTX_new(TLS_server_method());
  if(argc>1 && argv[1][0]=='1') return 0;
  SSL_CTX_set_min_proto_version(c,TLS1_2_VERSION);
  if(SSL_CTX_use_certificate_chain_file(c,"ec.crt")!=1||SSL_CTX_use_PrivateKey_file(c,"ec.key",SSL_FILETYPE_PEM)!=1) return 2;
  if(argc>1 && argv[1][0]=='2') return 0;
  SSL*s=SSL_new(c); SSL_set_fd(s,0);
  if(SSL_accept(s)!=1){ERR_print_errors_fp(stderr);return 3;}
  char b[16]; SSL_read(s,b,1); SSL_shutdown(s); return 0;
}
