#include <gnutls/gnutls.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc,char**argv){
  gnutls_global_init();
  if(argc>1 && argv[1][0]=='0') return 0;
  gnutls_certificate_credentials_t x; gnutls_certificate_allocate_credentials(&x);
  gnutls_priority_t prio; gnutls_priority_init2(&prio,"SECURE:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2",NULL,GNUTLS_PRIORITY_INIT_DEF_APPEND);
  if(argc>1 && argv[1][0]=='1') return 0;
  if(gnutls_certificate_set_x509_key_file(x,"ec.crt","ec.key",GNUTLS_X509_FMT_PEM)<0) return 2;
  if(argc>1 && argv[1][0]=='2') return 0;
  gnutls_session_t s; gnutls_init(&s,GNUTLS_SERVER); gnutls_priority_set(s,prio);
  gnutls_credentials_set(s,GNUTLS_CRD_CERTIFICATE,x); gnutls_transport_set_int(s,0);
  int r; do r=gnutls_handshake(s); while(r<0&&!gnutls_error_is_fatal(r));
  if(r<0){fprintf(stderr,"%s\n",gnutls_strerror(r));return 3;}
  char b[16]; gnutls_record_recv(s,b,1); gnutls_bye(s,GNUTLS_SHUT_WR); return 0;
}
