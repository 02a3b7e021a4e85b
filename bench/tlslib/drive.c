/* fork+exec prog N times; stage arg; for stage 3 do a TLS client handshake over a socketpair */
#include <openssl/ssl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
int main(int argc,char**argv){
  int n=atoi(argv[2]); const char*stage=argv[3];
  SSL_CTX*cc=SSL_CTX_new(TLS_client_method());
  struct timespec t0,t1; clock_gettime(CLOCK_MONOTONIC,&t0);
  for(int i=0;i<n;i++){
    int sv[2]; socketpair(AF_UNIX,SOCK_STREAM,0,sv);
    pid_t p=fork();
    if(!p){dup2(sv[1],0);close(sv[0]);close(sv[1]);execl(argv[1],argv[1],stage,(char*)0);_exit(127);}
    close(sv[1]);
    if(stage[0]=='3'){SSL*s=SSL_new(cc);SSL_set_fd(s,sv[0]);if(SSL_connect(s)!=1){fprintf(stderr,"connect fail\n");}
      SSL_write(s,"x",1);SSL_free(s);}
    close(sv[0]); int st; waitpid(p,&st,0); if(st) {fprintf(stderr,"child st %d\n",st);}
  }
  clock_gettime(CLOCK_MONOTONIC,&t1);
  struct rusage ru; getrusage(RUSAGE_CHILDREN,&ru);
  double cpu=(ru.ru_utime.tv_sec+ru.ru_stime.tv_sec)*1e3+(ru.ru_utime.tv_usec+ru.ru_stime.tv_usec)/1e3;
  printf("%-8s stage %s: %.3f ms CPU/proc, maxrss %ld KiB\n",argv[1],stage,cpu/n,ru.ru_maxrss);
  return 0;
}
