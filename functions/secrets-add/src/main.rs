#[tokio::main]
async fn main() -> Result<(), lambda_http::Error> {
    let env = gluelinks::startup();
    let function = secrets_add::SecretsAdd::from_env(&env).await?;
    gluelinks::http::run(|req| function.handle(req)).await
}
